"""Backoff arithmetic, the rate limiter and reply formatting."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from invitations.delivery import RateLimiter, RetryPolicy, describe, retry_delay
from invitations.transports import SendResult, SendStatus


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(timedelta(seconds=10), timedelta(seconds=100), 5, jitter=0.0)
    assert [policy.delay(n).total_seconds() for n in range(1, 7)] == [10, 20, 40, 80, 100, 100]
    assert retry_delay(1) == timedelta(seconds=30)
    assert retry_delay(40) == timedelta(hours=1)


def test_jitter_only_shortens_within_its_share() -> None:
    policy = RetryPolicy(timedelta(seconds=60), timedelta(hours=1), jitter=0.25)
    assert policy.delay(1, rand=lambda: 0.0) == timedelta(seconds=60)
    assert policy.delay(1, rand=lambda: 1.0) == timedelta(seconds=45)
    delays = {policy.delay(3) for _ in range(50)}
    assert len(delays) > 1
    assert all(timedelta(seconds=180) <= d <= timedelta(seconds=240) for d in delays)


def test_gives_up_after_max_attempts() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert not policy.gives_up(2)
    assert policy.gives_up(3)


@pytest.mark.parametrize("bad", [{"max_attempts": 0}, {"jitter": 1.5},
                                 {"first": timedelta(hours=2)}])
def test_policy_refuses_nonsense(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**bad)  # type: ignore[arg-type]


def test_describe_keeps_the_code_once() -> None:
    assert describe(SendResult(SendStatus.PERMANENT_FAILURE, 550, "550 5.1.1 No")) == (
        "550 5.1.1 No"
    )
    assert describe(SendResult(SendStatus.PERMANENT_FAILURE, 550, "No such user")) == (
        "550 No such user"
    )
    assert describe(SendResult(SendStatus.TEMPORARY_FAILURE, None, "refused")) == "refused"


def test_rate_limiter_spaces_calls_across_threads() -> None:
    delays: list[float] = []  # recorded instead of slept, on a clock that stands still
    limiter = RateLimiter(100, clock=lambda: 0.0, sleep=delays.append)
    granted: list[bool] = []

    def work() -> None:
        for _ in range(10):
            granted.append(limiter.wait())

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not any(thread.is_alive() for thread in threads)
    assert granted == [True] * 30
    # 30 slots at 100/s: the first at once, then one every 10 ms, none shared.
    assert sorted(delays) == pytest.approx([n / 100 for n in range(1, 30)])


class NotingEvent(threading.Event):
    """A stop event that tells when someone has started waiting on it."""

    def __init__(self) -> None:
        super().__init__()
        self.waited_on = threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        self.waited_on.set()
        return super().wait(timeout)


def test_rate_limiter_wakes_up_on_stop() -> None:
    limiter = RateLimiter(1 / 3600)  # one call an hour
    stop = NotingEvent()
    assert limiter.wait(stop)  # the first slot is now
    outcome: list[bool] = []
    waiter = threading.Thread(target=lambda: outcome.append(limiter.wait(stop)))
    waiter.start()
    assert stop.waited_on.wait(10), "the second call did not wait for its slot"
    stop.set()
    waiter.join(10)
    assert not waiter.is_alive() and outcome == [False]
