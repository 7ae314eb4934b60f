"""Per-key admission: the sliding one-minute window, Retry-After, and in-flight slots."""

from __future__ import annotations

import pytest

from rag_service.domain.auth import RateLimitedError
from rag_service.services.limits import RequestLimits

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_rate_is_a_sliding_minute_per_key_and_says_when_to_retry() -> None:
    clock = Clock()
    limits = RequestLimits(rate_per_minute=3, max_concurrent=0, clock=clock)
    for step in (0.0, 10.0, 20.0):
        clock.now += step
        limits.admit("ward-7")()
    with pytest.raises(RateLimitedError) as refused:
        limits.admit("ward-7")
    # The first request (at t=1000) leaves the window at t=1060; it is now t=1030.
    assert refused.value.retry_after_s == 30
    limits.admit("pharmacy")()  # another key has its own window
    clock.now += 29.5
    with pytest.raises(RateLimitedError):
        limits.admit("ward-7")
    clock.now += 0.5
    limits.admit("ward-7")()


def test_refused_requests_do_not_count_against_the_rate() -> None:
    clock = Clock()
    limits = RequestLimits(rate_per_minute=1, max_concurrent=0, clock=clock)
    limits.admit("k")()
    for _ in range(5):
        with pytest.raises(RateLimitedError):
            limits.admit("k")
    clock.now += 60
    limits.admit("k")()


def test_in_flight_slots_are_held_until_released_once() -> None:
    limits = RequestLimits(rate_per_minute=0, max_concurrent=2)
    first, second = limits.admit("k"), limits.admit("k")
    with pytest.raises(RateLimitedError) as refused:
        limits.admit("k")
    assert refused.value.retry_after_s == 1 and "2 requests in progress" in str(refused.value)
    first()
    first()  # a second call must not free a slot it does not hold
    assert limits.in_flight("k") == 1
    third = limits.admit("k")
    with pytest.raises(RateLimitedError):
        limits.admit("k")
    second()
    third()
    assert limits.in_flight("k") == 0


def test_zero_means_unlimited() -> None:
    limits = RequestLimits(rate_per_minute=0, max_concurrent=0)
    for _ in range(500):
        limits.admit("k")
    assert limits.in_flight("k") == 500
