"""Flood limits of the order form: at most ``limit`` submits per ``window`` for one
key (a client address, a company), in memory, per process.

Memory is bounded: at most ``max_keys`` keys are tracked (the least recently seen
is forgotten first) and each keeps at most ``limit`` times.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["FloodLimiter", "OrderLimits"]


class FloodLimiter:
    """A sliding window per key that refuses (never waits, unlike the delivery pacing
    :class:`~invitations.delivery.policy.RateLimiter`): :meth:`hit` counts a submit."""

    def __init__(self, limit: int, window: float, *, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or window <= 0 or max_keys < 1:
            raise ValueError("limit and max_keys must be at least 1, window positive")
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._clock = clock
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count a submit for ``key``: ``None`` if it may pass, else the seconds until
        the oldest counted submit leaves the window (nothing is counted then)."""
        now = self._clock()
        with self._lock:
            times = self._seen.pop(key, None)
            if times is None:
                times = deque(maxlen=self.limit)
            while times and times[0] <= now - self.window:
                times.popleft()
            self._seen[key] = times
            if len(self._seen) > self.max_keys:
                self._seen.popitem(last=False)
            if len(times) >= self.limit:
                return times[0] + self.window - now
            times.append(now)
            return None


@dataclass(frozen=True)
class OrderLimits:
    """How many order forms one client address, and one company, may send per window."""

    per_address: int = 5
    per_company: int = 3
    window_seconds: float = 600.0
    max_keys: int = 10_000

    def limiters(self) -> tuple[FloodLimiter, FloodLimiter]:
        return (FloodLimiter(self.per_address, self.window_seconds, max_keys=self.max_keys),
                FloodLimiter(self.per_company, self.window_seconds, max_keys=self.max_keys))
