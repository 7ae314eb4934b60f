"""Prometheus metrics: requests, answers, uploads and index size, exposed at ``/metrics``.

Each app has its own registry, so several apps in one process never clash. Labels are bounded and never carry
request content: the endpoint is the route template (``/v1/documents/{doc_id}``, not the requested path), and
answers are counted by abstention code and sentence verdict only; no question or document text is recorded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag_service.domain.answers import Answer
from rag_service.domain.uploads import UploadResult

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Matched by no route (404s, probes of random paths): one label, whatever the path was.
UNMATCHED = "unmatched"
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

IndexSize = Callable[[], tuple[int, int] | None]


class IndexSizeCollector(Collector):
    """Documents and passages in the index, read from the catalog when scraped (``rag-ingest`` runs elsewhere)."""

    def __init__(self, size: IndexSize) -> None:
        self._size = size

    def collect(self) -> Iterable[Metric]:
        """Both gauges, or none while the index is not open."""
        size = self._size()
        if size is None:
            return []
        documents, passages = size
        return [
            GaugeMetricFamily("rag_index_documents", "Documents in the index.", value=documents),
            GaugeMetricFamily("rag_index_passages", "Passages (chunks) in the index.", value=passages),
        ]


class Metrics:
    """The app's metrics and the registry they live in."""

    def __init__(self, index_size: IndexSize | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "rag_http_requests",
            "HTTP requests by method, route template and status.",
            ("method", "endpoint", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "rag_http_request_duration_seconds",
            "Time to the end of the response body, by method, route template and status.",
            ("method", "endpoint", "status"),
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.answers = Counter(
            "rag_answers",
            "Answers given or abstained from, by whether they abstained.",
            ("abstained",),
            registry=self.registry,
        )
        self.abstentions = Counter(
            "rag_abstentions", "Abstentions by reason code.", ("reason",), registry=self.registry
        )
        self.sentences = Counter(
            "rag_answer_sentences",
            "Answer sentences returned, by support verdict.",
            ("verdict",),
            registry=self.registry,
        )
        self.unsupported = Counter(
            "rag_unsupported_sentences",
            "Answer sentences judged unsupported by their citations, returned flagged or dropped.",
            registry=self.registry,
        )
        self.ingested_files = Counter(
            "rag_ingest_files",
            "Files uploaded through POST /v1/documents, by result.",
            ("status",),
            registry=self.registry,
        )
        self.ingested_passages = Counter(
            "rag_ingest_passages", "Passages indexed from uploaded files.", registry=self.registry
        )
        self.audit_failures = Counter(
            "rag_audit_write_failures",
            "Audited requests refused with 503 because their audit record could not be written.",
            registry=self.registry,
        )
        if index_size is not None:
            self.registry.register(IndexSizeCollector(index_size))

    def observe_request(self, method: str, endpoint: str, status: int, seconds: float) -> None:
        """Count one request and its latency."""
        method = method if method in _METHODS else "other"
        labels = (method, endpoint, str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)

    def observe_answer(self, answer: Answer) -> None:
        """Count an answer: abstention reason, verdict of each returned sentence, unsupported ones."""
        self.answers.labels("true" if answer.abstained else "false").inc()
        if answer.abstention is not None:
            self.abstentions.labels(answer.abstention.code).inc()
        unsupported = answer.dropped_sentences
        for sentence in answer.sentences:
            self.sentences.labels(sentence.verdict).inc()
            unsupported += sentence.verdict == "unsupported"
        if unsupported:
            self.unsupported.inc(unsupported)

    def observe_uploads(self, results: Sequence[UploadResult]) -> None:
        """Count uploaded files by result and the passages they added."""
        for r in results:
            self.ingested_files.labels(r.status).inc()
            if r.status == "ingested" and r.passages:
                self.ingested_passages.inc(r.passages)

    def observe_audit_failure(self) -> None:
        """Count an audit record that could not be written."""
        self.audit_failures.inc()

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)


def endpoint_label(routes: Sequence[BaseRoute], scope: Scope) -> str:
    """The route template the request matched (bounded cardinality), or ``unmatched``."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str) and path:
        return path
    # Not routed: refused by a middleware before routing (413), a mount, or a method the route lacks (405).
    for candidate in routes:
        match, _ = candidate.matches(scope)
        if match is not Match.NONE:
            return str(getattr(candidate, "path", UNMATCHED)) or UNMATCHED
    return UNMATCHED


class RequestMetrics:
    """Pure ASGI middleware: counts every HTTP request and times it to the end of its body."""

    def __init__(self, app: ASGIApp, metrics: Metrics, routes: Callable[[], Sequence[BaseRoute]]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            self.metrics.observe_request(
                scope.get("method", ""),
                endpoint_label(self.routes(), scope),
                status,
                time.perf_counter() - started,
            )


def get_metrics(request: Request) -> Metrics:
    """The metrics of the app serving the request."""
    metrics: Metrics = request.app.state.metrics
    return metrics


MetricsDep = Annotated[Metrics, Depends(get_metrics)]

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
def metrics_endpoint(metrics: MetricsDep) -> Response:
    """Prometheus metrics: requests and latency by route and status, abstentions by reason, sentence verdicts,
    uploads, index size, audit write failures. Needs no authentication and holds no question or document text."""
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


def install_metrics(app: FastAPI, index_size: IndexSize | None = None) -> Metrics:
    """Give the app its own registry, the request middleware and ``GET /metrics``."""
    metrics = Metrics(index_size)
    app.state.metrics = metrics
    app.add_middleware(RequestMetrics, metrics=metrics, routes=lambda: app.router.routes)
    app.include_router(router)
    return metrics
