"""What the app holds between requests: the components, opened once and re-tried while the store is down."""

from __future__ import annotations

import asyncio
import logging
import threading

from rag_service.bootstrap import Components
from rag_service.domain.errors import IndexBusyError, IndexMismatchError, RagError, StoreUnavailableError
from rag_service.services.documents import DocumentService
from rag_service.services.feedback import FeedbackService

log = logging.getLogger(__name__)
REBUILD = "rag-ingest --rebuild-lexical"


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
        # Answers computed at once (api.max_concurrent_answers): bounds peak memory under bursts.
        limit = components.settings.api.max_concurrent_answers
        self.answer_slots = asyncio.Semaphore(limit) if limit > 0 else None

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
            before = self.components.index.lexical_status()
            status = self.lexical_check()
            if not before.current:
                # A crash between a write and the keyword-index rebuild (e.g. a killed ingest) leaves it stale.
                log.warning("keyword index was %s at start: %s", before.describe(), status)
            self.components.view.refresh()
            self._open = True
            self.last_error = None

    def lexical_check(self) -> str:
        """The keyword index's readiness, rebuilding it from the catalog when it is stale and nobody writes.

        Returns "ok"; "updating: ..." while another writer (an ingest, an upload) holds the writer lock, which
        rebuilds it when it finishes (the previous index keeps serving meanwhile); or "stale (...); run
        rag-ingest --rebuild-lexical" when it cannot be rebuilt here.
        """
        index = self.components.index
        if index.reload_lexical():
            return "ok"
        try:
            with self.components.writer_lock():
                index.refresh_lexical()
        except IndexBusyError:
            return f"updating: {index.lexical_status().describe()}; a writer is running and rebuilds it"
        except (OSError, RagError) as exc:  # e.g. a full or read-only disk
            log.warning("keyword index rebuild failed: %s", type(exc).__name__)
            return f"{index.lexical_status().describe()}; rebuilding failed ({type(exc).__name__}); run {REBUILD}"
        if index.reload_lexical():
            return "ok"
        return f"{index.lexical_status().describe()}; run {REBUILD}"

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
