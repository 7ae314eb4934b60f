"""The search use case: check the request against the configured limits, then retrieve."""

from __future__ import annotations

from rag_service.domain.errors import InvalidRequestError
from rag_service.domain.retrieval import SearchFilters, SearchMode, SearchOutcome
from rag_service.services.questions import clean_question
from rag_service.services.retrieval import Retriever, SearchRequest
from rag_service.settings import RetrievalSettings


class SearchService:
    """Evidence search as the API (and later the answering service) calls it."""

    def __init__(self, settings: RetrievalSettings, retriever: Retriever) -> None:
        self._s = settings
        self.retriever = retriever

    @property
    def max_question_chars(self) -> int:
        """The configured question length limit."""
        return self._s.max_question_chars

    def search(
        self,
        question: str,
        *,
        top_k: int = 8,
        filters: SearchFilters | None = None,
        mode: SearchMode = "hybrid",
        rerank: bool = True,
        min_relevance: float | None = None,
    ) -> SearchOutcome:
        """Ranked evidence for a question; raises InvalidRequestError past a limit."""
        query = clean_question(question, self._s.max_question_chars)
        if top_k > self._s.max_top_k:
            raise InvalidRequestError(f"top_k is {top_k}; the limit is {self._s.max_top_k}")
        request = SearchRequest(
            query=query, top_k=top_k, filters=filters, mode=mode, rerank=rerank, min_relevance=min_relevance
        )
        return self.retriever.search(request)
