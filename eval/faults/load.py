"""Client threads that keep sending searches and asks, recording every response with the phase it fell in.

Shared by the Chroma outage (:mod:`eval.faults.chroma_outage`) and the load run (``eval.bench_load``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass(frozen=True, slots=True)
class Sample:
    """One request as the client saw it."""

    endpoint: str
    started: float
    ms: float
    status: int
    code: str | None
    phase: str


def error_code(response: httpx.Response) -> str | None:
    """The envelope's ``error.code``, or None when the body is not an error envelope."""
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = body["error"].get("code")
        return str(code) if code is not None else None
    return None


@dataclass
class Clients:
    """``count`` threads, each with one keep-alive connection, cycling through ``questions``.

    Thread ``i`` asks (``/v1/ask``) when ``i`` is in ``askers``, otherwise searches; ``phase()`` names the
    phase each response is filed under.
    """

    base: str
    questions: Sequence[str]
    count: int
    headers: dict[str, str]
    askers: frozenset[int] = frozenset()
    pause_s: float = 0.0
    timeout_s: float = 120.0
    phase: Callable[[], str] = lambda: "run"
    samples: list[Sample] = field(default_factory=list)
    transport_errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        """Start the client threads."""
        for i in range(self.count):
            thread = threading.Thread(target=self._loop, args=(i,), name=f"client-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Ask every thread to stop after its current request, and wait for them."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout_s + 10)

    def _loop(self, index: int) -> None:
        endpoint = "/v1/ask" if index in self.askers else "/v1/search"
        n = index
        with httpx.Client(base_url=self.base, headers=self.headers, timeout=self.timeout_s) as client:
            while not self._stop.is_set():
                question = self.questions[n % len(self.questions)]
                n += self.count
                body: dict[str, Any] = {"question": question}
                if endpoint == "/v1/search":
                    body["top_k"] = 8
                phase = self.phase()
                started = time.monotonic()
                try:
                    res = client.post(endpoint, json=body)
                except httpx.HTTPError as exc:
                    with self._lock:
                        self.transport_errors.append(f"{phase} {endpoint}: {type(exc).__name__}: {exc}"[:300])
                    self._stop.wait(0.5)
                    continue
                ms = (time.monotonic() - started) * 1000
                sample = Sample(endpoint, started, ms, res.status_code, error_code(res), phase)
                with self._lock:
                    self.samples.append(sample)
                if self.pause_s:
                    self._stop.wait(self.pause_s)
