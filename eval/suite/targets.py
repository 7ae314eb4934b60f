"""Where questions go: the service's own app in this process, or a running service over HTTP.

Both targets speak the service's public API (``/v1/search``, ``/v1/ask``, ``/v1/documents``, ``/readyz``):
the in-process one drives the app :func:`rag_service.api.app.create_app` builds over the evaluation's
components through an in-memory transport, the HTTP one a server at a URL. So both map responses and
fingerprint the index the same way, and the runner and the metrics never know which one ran:

* a search result is a list of ranks, each the list of document ids it stands for (the passage's own document
  first, then documents whose identical passages were collapsed into it);
* an answer is the API's answer (:class:`~rag_service.api.answer_schemas.AskResponse`) reduced to what the
  metrics and reports read: ``text``, ``abstained``, ``abstain_code``, ``invalid_citations_removed``,
  ``citations`` (number, doc_id, chunk_id, title, heading, page, version, text), ``sentences`` (text,
  citations, verdict, score), ``currency`` (newest and oldest cited year, stale) and ``provenance`` (without
  its per-document list).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from contextlib import ExitStack
from typing import Any, Literal

import httpx
import httpx2
from fastapi.testclient import TestClient

from rag_service.api.answer_schemas import AskResponse
from rag_service.api.app import create_app
from rag_service.bootstrap import Components

Mode = Literal["hybrid", "dense", "lexical"]

_CITATION_FIELDS = {"number", "doc_id", "chunk_id", "title", "heading", "page", "version", "text", "evidence"}
_SENTENCE_FIELDS = {"text", "citations", "verdict", "score"}
# What identifies a listed document's content and provenance (``ingested_at`` changes on every rebuild).
_DOCUMENT_FIELDS = ("doc_id", "title", "doc_type", "source", "version", "year", "pmid", "chunk_count")


class TargetError(RuntimeError):
    """The service refused or failed a request; the message says which and why."""


def answer_record(body: dict[str, Any]) -> dict[str, Any]:
    """The plain answer shape of a ``POST /v1/ask`` response body, read through the API's own schema."""
    res = AskResponse.model_validate(body)
    return {
        "text": res.answer,
        "abstained": res.abstained,
        "abstain_code": res.abstain_reason.code if res.abstain_reason else None,
        "invalid_citations_removed": res.invalid_citations_removed,
        "citations": [c.model_dump(include=_CITATION_FIELDS) for c in res.citations],
        "sentences": [
            s.model_dump(include=_SENTENCE_FIELDS) | {"score": round(s.score, 4)} for s in res.sentences
        ],
        "provenance": {k: v for k, v in res.provenance.items() if k != "documents"},
        "currency": res.currency.model_dump() if res.currency is not None else None,
    }


class Target:
    """A service to evaluate, through its public API on an HTTP client (a socket's or the app's own)."""

    name = "http"

    def __init__(self, client: httpx.Client | TestClient, url: str) -> None:
        self.url = url
        self._http = client

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, **kwargs)
        except (httpx.HTTPError, httpx2.HTTPError) as exc:
            raise TargetError(f"{self.url}{path}: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
                detail = f"{error['code']}: {error['message']}"
            except (ValueError, KeyError, TypeError):
                detail = response.text[:200]
            raise TargetError(f"{self.url}{path} answered {response.status_code} ({detail})")
        data: dict[str, Any] = response.json()
        return data

    def _search(
        self, question: str, top_k: int, mode: Mode, rerank: bool, exclude: Sequence[str] = ()
    ) -> list[dict[str, Any]]:
        body: dict[str, Any] = {
            "question": question,
            "top_k": top_k,
            "mode": mode,
            "rerank": rerank,
            "min_relevance": 0.0,
        }
        if exclude:
            body["filters"] = {"exclude_doc_ids": sorted(exclude)}
        results: list[dict[str, Any]] = self._call("POST", "/v1/search", json=body)["results"]
        return results

    def search(
        self, question: str, *, top_k: int, mode: Mode, rerank: bool
    ) -> tuple[list[list[str]], float | None]:
        """Ranked document ids from ``POST /v1/search`` with no relevance threshold, and the top-1 relevance.

        The relevance is None when the mode has none (keyword only) and 0 when nothing was found.
        """
        results = self._search(question, top_k, mode, rerank)
        ranks = [[r["doc_id"], *(d["doc_id"] for d in r.get("duplicates", []))] for r in results]
        return ranks, (results[0].get("relevance") if results else 0.0)

    def top_relevance(self, question: str, exclude_doc_ids: Sequence[str] = ()) -> float:
        """Relevance of the best passage the service's default search finds (0 when none)."""
        results = self._search(question, 1, "hybrid", True, exclude_doc_ids)
        return float(results[0].get("relevance") or 0.0) if results else 0.0

    def ask(self, question: str, exclude_doc_ids: Sequence[str] = ()) -> dict[str, Any]:
        """``POST /v1/ask`` with the given documents left out of the evidence, as the plain answer shape."""
        body: dict[str, Any] = {"question": question}
        if exclude_doc_ids:
            body["filters"] = {"exclude_doc_ids": sorted(exclude_doc_ids)}
        return answer_record(self._call("POST", "/v1/ask", json=body))

    def _documents(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while True:
            page = self._call("GET", "/v1/documents", params={"offset": len(out), "limit": 500})
            out.extend(page["items"])
            if not page["items"] or len(out) >= page["total"]:
                return out

    def describe(self) -> dict[str, Any]:
        """What ``/readyz`` reports, and a fingerprint of the document listing."""
        ready = self._call("GET", "/readyz")
        docs = sorted(self._documents(), key=lambda d: str(d["doc_id"]))
        digest = hashlib.sha256()
        for d in docs:
            digest.update(("\t".join(str(d.get(f, "")) for f in _DOCUMENT_FIELDS) + "\n").encode())
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
        """Release the connection (and, in process, stop the app)."""
        self._http.close()


class HttpTarget(Target):
    """A running service at ``url``."""

    name = "http"

    def __init__(self, url: str, timeout: float = 300.0, headers: dict[str, str] | None = None) -> None:
        url = url.rstrip("/")
        super().__init__(httpx.Client(base_url=url, timeout=timeout, headers=headers or {}), url)


class InProcessTarget(Target):
    """The service's app over ``components`` (an index opened in this process), without a socket.

    Starting it runs the app's lifespan as ``rag-serve`` does: models warmed up, the index opened and its
    keyword index brought up to date; :meth:`close` ends the lifespan, which closes the components. An
    internal error becomes the API's 500 error envelope, as over HTTP. No socket is opened, so the app runs
    with access control off and the in-memory client's host allowed: the caller is this process.
    """

    name = "in-process"

    def __init__(self, components: Components) -> None:
        self._c = components
        s = components.settings
        in_process = s.model_copy(
            update={
                "auth": s.auth.model_copy(update={"enabled": False}),
                "api": s.api.model_copy(update={"allowed_hosts": ["testserver"]}),
            }
        )
        app = create_app(in_process, components=components)
        self._running = ExitStack()
        client = self._running.enter_context(TestClient(app, raise_server_exceptions=False))
        super().__init__(client, "in-process")

    def describe(self) -> dict[str, Any]:
        """The API's description and fingerprint, plus the settings and models this process configured."""
        s = self._c.settings
        out = super().describe()
        out["settings_hash"] = s.fingerprint()
        out["models"] |= {
            "reranker": s.retrieval.reranker,
            "answer_backend": s.answer.backend,
            "answer_model": s.llm.model if s.answer.backend == "openai" else "extractive",
            "support_scorer": s.answer.support_scorer,
        }
        return out

    def close(self) -> None:
        """Stop the app (its lifespan closes the components)."""
        self._running.close()
