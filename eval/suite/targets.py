"""Where questions go: the service in this process, or a running service over HTTP.

Both targets return the same plain shapes, so the runner and the metrics never know which one ran:

* a search result is a list of ranks, each the list of document ids it stands for (the passage's own document
  first, then documents whose identical passages were collapsed into it);
* an answer is a dict with ``text``, ``abstained``, ``abstain_code``, ``citations`` (number, doc_id, chunk_id,
  title, heading, page, version, text), ``sentences`` (text, citations, verdict, score) and ``provenance``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, Literal, Protocol

import httpx

from rag_service.bootstrap import Components
from rag_service.domain.answers import Answer
from rag_service.domain.retrieval import SearchFilters

Mode = Literal["hybrid", "dense", "lexical"]


class TargetError(RuntimeError):
    """The service refused or failed a request; the message says which and why."""


class Target(Protocol):
    """A service to evaluate."""

    name: str

    def search(self, question: str, *, top_k: int, mode: Mode, rerank: bool) -> list[list[str]]: ...

    def ask(self, question: str, exclude_doc_ids: Sequence[str] = ()) -> dict[str, Any]: ...

    def describe(self) -> dict[str, Any]: ...

    def indexed_doc_ids(self) -> set[str]: ...


def _filters(exclude: Sequence[str]) -> SearchFilters | None:
    return SearchFilters(exclude_doc_ids=sorted(exclude)) if exclude else None


def answer_dict(a: Answer) -> dict[str, Any]:
    """The plain shape of an in-process answer (the same fields the HTTP API returns)."""
    return {
        "text": a.text,
        "abstained": a.abstained,
        "abstain_code": a.abstention.code if a.abstention else None,
        "invalid_citations_removed": a.invalid_citations_removed,
        "citations": [
            {
                "number": c.number,
                "doc_id": c.evidence.doc_id,
                "chunk_id": c.evidence.chunk_id,
                "title": c.evidence.meta.title,
                "heading": " > ".join(c.evidence.heading_path),
                "page": c.evidence.page,
                "version": c.evidence.meta.version,
                "text": c.evidence.text,
            }
            for c in a.citations
        ],
        "sentences": [
            {"text": s.text, "citations": list(s.citations), "verdict": s.verdict, "score": round(s.score, 4)}
            for s in a.sentences
        ],
        "provenance": {k: v for k, v in a.provenance.items() if k != "documents"},
    }


class InProcessTarget:
    """The service's own search and answer services, on an index opened in this process."""

    name = "in-process"

    def __init__(self, components: Components) -> None:
        self._c = components
        self._search = components.search_service()
        self._answers = components.answer_service(self._search)

    def search(self, question: str, *, top_k: int, mode: Mode, rerank: bool) -> list[list[str]]:
        """Ranked document ids, no relevance threshold (ranking metrics need the full list)."""
        outcome = self._search.search(question, top_k=top_k, mode=mode, rerank=rerank, min_relevance=0.0)
        return [[e.doc_id, *(d for d, _ in e.duplicates)] for e in outcome.evidence]

    def ask(self, question: str, exclude_doc_ids: Sequence[str] = ()) -> dict[str, Any]:
        """A verified answer, with the given documents left out of the evidence."""
        return answer_dict(self._answers.ask(question, filters=_filters(exclude_doc_ids)))

    def describe(self) -> dict[str, Any]:
        """Settings, models and a fingerprint of what is indexed."""
        c = self._c
        records = sorted(c.catalog.documents(), key=lambda r: r.meta.doc_id)
        digest = hashlib.sha256()
        for r in records:
            digest.update(f"{r.meta.doc_id}\t{r.content_hash}\n".encode())
        return {
            "settings_hash": c.settings.fingerprint(),
            "collection": c.store.collection_name,
            "corpus_fingerprint": digest.hexdigest()[:16],
            "corpus": {"documents": len(records), "passages": sum(r.chunk_count for r in records)},
            "models": {
                "embedding": c.embedder.model_id,
                "reranker": c.settings.retrieval.reranker,
                "answer_backend": c.settings.answer.backend,
                "answer_model": c.settings.llm.model
                if c.settings.answer.backend == "openai"
                else "extractive",
                "support_scorer": c.settings.answer.support_scorer,
            },
        }

    def indexed_doc_ids(self) -> set[str]:
        """Every complete document in the index."""
        return {r.meta.doc_id for r in self._c.catalog.documents()}


class HttpTarget:
    """A running service, through its public API (``/v1/search``, ``/v1/ask``, ``/v1/documents``)."""

    name = "http"

    def __init__(self, url: str, timeout: float = 300.0, headers: dict[str, str] | None = None) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout, headers=headers or {})

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._json(self._call("POST", path, json=body), path)

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise TargetError(f"{self.url}{path}: {type(exc).__name__}: {exc}") from exc

    def _json(self, response: httpx.Response, path: str) -> dict[str, Any]:
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
                detail = f"{error['code']}: {error['message']}"
            except (ValueError, KeyError, TypeError):
                detail = response.text[:200]
            raise TargetError(f"{self.url}{path} answered {response.status_code} ({detail})")
        data: dict[str, Any] = response.json()
        return data

    def search(self, question: str, *, top_k: int, mode: Mode, rerank: bool) -> list[list[str]]:
        """Ranked document ids from ``POST /v1/search`` with no relevance threshold."""
        body = {"question": question, "top_k": top_k, "mode": mode, "rerank": rerank, "min_relevance": 0.0}
        data = self._post("/v1/search", body)
        return [[r["doc_id"], *(d["doc_id"] for d in r.get("duplicates", []))] for r in data["results"]]

    def ask(self, question: str, exclude_doc_ids: Sequence[str] = ()) -> dict[str, Any]:
        """``POST /v1/ask``, converted to the plain answer shape."""
        body: dict[str, Any] = {"question": question}
        if exclude_doc_ids:
            body["filters"] = {"exclude_doc_ids": sorted(exclude_doc_ids)}
        data = self._post("/v1/ask", body)
        reason = data.get("abstain_reason") or {}
        return {
            "text": data["answer"],
            "abstained": data["abstained"],
            "abstain_code": reason.get("code"),
            "invalid_citations_removed": data.get("invalid_citations_removed", 0),
            "citations": [
                {
                    "number": c["number"],
                    "doc_id": c["doc_id"],
                    "chunk_id": c["chunk_id"],
                    "title": c["title"],
                    "heading": c.get("heading", ""),
                    "page": c.get("page"),
                    "version": c.get("version"),
                    "text": c["text"],
                }
                for c in data["citations"]
            ],
            "sentences": [
                {"text": s["text"], "citations": s["citations"], "verdict": s["verdict"], "score": s["score"]}
                for s in data["sentences"]
            ],
            "provenance": {k: v for k, v in data.get("provenance", {}).items() if k != "documents"},
        }

    def _documents(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while True:
            page = self._json(
                self._call("GET", "/v1/documents", params={"offset": len(out), "limit": 500}), "/v1/documents"
            )
            out.extend(page["items"])
            if not page["items"] or len(out) >= page["total"]:
                return out

    def describe(self) -> dict[str, Any]:
        """What ``/readyz`` reports, and a fingerprint of the document listing."""
        ready = self._json(self._call("GET", "/readyz"), "/readyz")
        docs = sorted(self._documents(), key=lambda d: str(d["doc_id"]))
        digest = hashlib.sha256()
        for d in docs:
            digest.update(f"{d['doc_id']}\t{d.get('ingested_at', '')}\n".encode())
        return {
            "collection": ready.get("collection"),
            "corpus_fingerprint": digest.hexdigest()[:16],
            "corpus": {"documents": len(docs), "passages": sum(int(d.get("chunk_count", 0)) for d in docs)},
            "models": {"embedding": ready.get("embedding_model")},
        }

    def indexed_doc_ids(self) -> set[str]:
        """Every document the service lists."""
        return {str(d["doc_id"]) for d in self._documents()}

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()
