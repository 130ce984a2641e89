"""Durable delivery: the outbox worker, its retry policy, and bulk sending.

- :mod:`~invitations.delivery.worker`: claim due outbox rows with a lease, send
  them through a transport, record each result (:func:`deliver`, :func:`run_workers`).
- :mod:`~invitations.delivery.policy`: :class:`RetryPolicy` (exponential backoff
  with jitter) and :class:`RateLimiter`.
- :mod:`invitations.delivery.bulk`: invitations from a CSV file.
"""

from __future__ import annotations

from invitations.delivery.policy import (
    FIRST_RETRY,
    MAX_ATTEMPTS,
    MAX_RETRY,
    RateLimiter,
    RetryPolicy,
    retry_delay,
)
from invitations.delivery.worker import (
    DEFAULT_LEASE,
    DeliveryReport,
    deliver,
    describe,
    requeue_failed,
    run_workers,
    worker_id,
)

__all__ = [
    "DEFAULT_LEASE",
    "FIRST_RETRY",
    "MAX_ATTEMPTS",
    "MAX_RETRY",
    "DeliveryReport",
    "RateLimiter",
    "RetryPolicy",
    "deliver",
    "describe",
    "requeue_failed",
    "retry_delay",
    "run_workers",
    "worker_id",
]
