"""What the app holds between requests: the components, opened once and re-tried while the store is down."""

from __future__ import annotations

import logging
import threading

from rag_service.bootstrap import Components
from rag_service.domain.errors import IndexBusyError, IndexMismatchError, RagError, StoreUnavailableError
from rag_service.services.documents import DocumentService
from rag_service.services.feedback import FeedbackService

log = logging.getLogger(__name__)


class ServiceState:
    """Opens the index on first need; a store that is down at start-up is re-tried, not fatal."""

    def __init__(self, components: Components) -> None:
        self.components = components
        self.documents = DocumentService(
            components.catalog, components.index, components.writer_lock, components.view
        )
        self.feedback = FeedbackService(components.feedback)
        self.uploads = components.file_ingester()
        self.search = components.search_service()
        self.answers = components.answer_service(self.search)
        self._open = False
        self._lock = threading.Lock()
        self.last_error: str | None = None

    def ensure_open(self) -> None:
        """Open catalog and store if not yet open; raises StoreUnavailableError while it cannot."""
        if self._open:
            return
        with self._lock:
            if self._open:
                return
            try:
                self.components.open_index()
            except IndexMismatchError:
                raise
            except RagError as exc:
                self.last_error = str(exc)
                raise StoreUnavailableError(f"the index is not available: {exc}") from exc
            try:
                with self.components.writer_lock():
                    self.components.index.refresh_lexical()
            except IndexBusyError:
                log.info("an ingest is running; the keyword index is picked up when it finishes")
            self.components.view.refresh()
            self._open = True
            self.last_error = None

    def warm_up(self) -> None:
        """Load models and open stores; failures to reach the store are logged and re-tried later."""
        self.components.embedder.warm_up()
        self.components.reranker.warm_up()
        self.answers.warm_up()
        try:
            self.ensure_open()
        except StoreUnavailableError as exc:
            log.warning("store not reachable at start-up, will retry: %s", exc)

    @property
    def is_open(self) -> bool:
        """Whether the index has been opened."""
        return self._open
