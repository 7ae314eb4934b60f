"""Per-key request limits: a rate over a sliding one-minute window and a number of requests in flight.

The rate is a sliding-window log: the times of a key's admitted requests in the last 60 seconds. It is exact
("at most N in any 60 seconds", no double burst at a window edge as with fixed windows) and small: at most
``rate_per_minute`` floats per key. A refused request is not recorded, so a client that waits the
``Retry-After`` it was given gets in. Limits hold per process; several service processes each allow the rate.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from rag_service.domain.auth import RateLimitedError

WINDOW_S = 60.0
# A request refused for concurrency cannot know when a slot frees; a second is a fair first wait.
CONCURRENCY_RETRY_S = 1


class RequestLimits:
    """Admission of requests per key; ``0`` for a limit means unlimited. Thread-safe."""

    def __init__(
        self, rate_per_minute: int, max_concurrent: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate_per_minute = rate_per_minute
        self.max_concurrent = max_concurrent
        self._clock = clock
        self._lock = threading.Lock()
        self._recent: dict[str, deque[float]] = {}
        self._in_flight: dict[str, int] = {}

    def admit(self, key: str) -> Callable[[], None]:
        """Admit one request of ``key`` and return the function that ends it (call it exactly once).

        Raises:
            RateLimitedError: The key has ``max_concurrent`` requests in flight, or made ``rate_per_minute``
                requests in the last minute; ``retry_after_s`` says when to try again.
        """
        with self._lock:
            busy = self._in_flight.get(key, 0)
            if self.max_concurrent and busy >= self.max_concurrent:
                raise RateLimitedError(
                    f"this API key already has {busy} requests in progress (limit {self.max_concurrent})",
                    CONCURRENCY_RETRY_S,
                )
            if self.rate_per_minute:
                now = self._clock()
                recent = self._recent.setdefault(key, deque())
                while recent and recent[0] <= now - WINDOW_S:
                    recent.popleft()
                if len(recent) >= self.rate_per_minute:
                    wait = math.ceil(recent[0] + WINDOW_S - now)
                    raise RateLimitedError(
                        f"this API key made {len(recent)} requests in the last minute "
                        f"(limit {self.rate_per_minute})",
                        wait,
                    )
                recent.append(now)
            self._in_flight[key] = busy + 1
        released = False

        def release() -> None:
            nonlocal released
            with self._lock:
                if released:
                    return
                released = True
                left = self._in_flight.get(key, 1) - 1
                if left > 0:
                    self._in_flight[key] = left
                else:
                    self._in_flight.pop(key, None)

        return release

    def in_flight(self, key: str) -> int:
        """Requests of ``key`` admitted and not yet ended."""
        with self._lock:
            return self._in_flight.get(key, 0)
