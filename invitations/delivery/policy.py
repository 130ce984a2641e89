"""How often and how fast delivery tries: the retry policy and the rate limit."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

__all__ = ["FIRST_RETRY", "MAX_ATTEMPTS", "MAX_RETRY", "RateLimiter", "RetryPolicy", "retry_delay"]

FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
MAX_ATTEMPTS = 12


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, a cap and a maximum number of attempts.

    After attempt ``n`` fails temporarily, the next waits
    ``min(first * 2 ** (n - 1), cap)`` shortened by a random share of up to
    ``jitter`` (so that messages queued together do not retry in lockstep).
    With the defaults (30 s, cap 1 h, 12 attempts) a message is tried for
    about four to five hours (with jitter) before it is marked ``failed``.
    """

    first: timedelta = FIRST_RETRY
    cap: timedelta = MAX_RETRY
    max_attempts: int = MAX_ATTEMPTS
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or not 0 <= self.jitter <= 1 or self.first > self.cap:
            raise ValueError(
                "RetryPolicy needs max_attempts >= 1, 0 <= jitter <= 1 and first <= cap"
            )

    def delay(self, attempts: int, rand: Callable[[], float] = random.random) -> timedelta:
        """How long to wait after ``attempts`` attempts have been made."""
        exponent = max(0, min(attempts - 1, 32))
        base: timedelta = min(self.first * (2**exponent), self.cap)
        return base * (1 - self.jitter * rand())

    def gives_up(self, attempts: int) -> bool:
        """True when ``attempts`` made so far use up the allowance."""
        return attempts >= self.max_attempts


def retry_delay(attempts: int) -> timedelta:
    """The default policy's delay without jitter (30 s, 60 s, ... capped at an hour)."""
    return RetryPolicy().delay(attempts, rand=lambda: 0.0)


class RateLimiter:
    """At most ``rate`` calls of :meth:`wait` per second, shared by threads.

    ``clock`` and ``sleep`` (``time.monotonic`` and ``time.sleep``) may be
    replaced, e.g. by a test that records the slots handed out.
    """

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next = clock()
        self._lock = threading.Lock()

    def wait(self, stop: threading.Event | None = None) -> bool:
        """Block until the next slot; False when ``stop`` was set meanwhile."""
        with self._lock:
            now = self._clock()
            slot = max(self._next, now)
            self._next = slot + self.interval
        delay = slot - now
        if delay <= 0:
            return True
        if stop is None:
            self._sleep(delay)
            return True
        return not stop.wait(delay)
