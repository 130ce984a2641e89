"""The order form's flood limiter: a sliding window per key, bounded memory."""

from __future__ import annotations

import pytest

from invitations.web.limits import FloodLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_key_passes_limit_times_per_window_then_waits() -> None:
    clock = Clock()
    limiter = FloodLimiter(3, 60, clock=clock)
    assert [limiter.hit("10.0.0.1") for _ in range(3)] == [None, None, None]
    assert limiter.hit("10.0.0.1") == pytest.approx(60)
    assert limiter.hit("10.0.0.2") is None  # other keys are not affected
    clock.now += 30
    assert limiter.hit("10.0.0.1") == pytest.approx(30)  # a refused submit is not counted
    clock.now += 30.5
    assert limiter.hit("10.0.0.1") is None


def test_memory_is_bounded_least_recent_first() -> None:
    clock = Clock()
    limiter = FloodLimiter(1, 60, max_keys=100, clock=clock)
    for n in range(1000):
        assert limiter.hit(f"key-{n}") is None
    assert len(limiter._seen) == 100
    assert limiter.hit("key-999") is not None  # recent keys are still limited
    assert limiter.hit("key-0") is None  # the oldest were forgotten


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        FloodLimiter(0, 60)
