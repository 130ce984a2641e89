"""Send queued outbox rows through a transport and record what happened.

First, simple version: claim due rows with a lease, send them in one batch,
record accepted -> ``sent``, temporary failure -> stays ``queued`` with a
later ``next_attempt_at``, permanent failure -> ``failed``. Backoff with
jitter, worker loops and caps arrive with the transports issue.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from .clock import Clock
from .models import DeliveryState
from .store import InvitationStore
from .transports.base import SendResult, SendStatus, Transport

DEFAULT_LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)


@dataclass
class DeliveryReport:
    """How one delivery run went."""

    sent: int = 0
    queued: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.queued + self.failed


def worker_id() -> str:
    """A lease owner name unique to this process (host, pid, random)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def retry_delay(attempts: int) -> timedelta:
    """Exponential: 30 s, 60 s, 120 s ... capped at an hour (``attempts`` already made)."""
    factor: int = 2 ** max(0, min(attempts - 1, 16))
    delay: timedelta = FIRST_RETRY * factor
    return min(delay, MAX_RETRY)


def describe(result: SendResult) -> str:
    return f"{result.code} {result.reply}".strip() if result.code else result.reply


def deliver(
    store: InvitationStore,
    transport: Transport,
    *,
    clock: Clock,
    owner: str | None = None,
    message_ids: Sequence[str] | None = None,
    limit: int = 100,
    lease: timedelta = DEFAULT_LEASE,
) -> DeliveryReport:
    """Send what is due now (or only ``message_ids``); never raises for a failed send."""
    owner = owner or worker_id()
    report = DeliveryReport()
    rows = store.claim_due(owner=owner, now=clock.now(), lease=lease, limit=limit,
                           message_ids=message_ids)
    if not rows:
        return report
    try:
        with transport:
            results = list(transport.send([row.to_message() for row in rows]))
    except Exception as exc:  # the transport could not even try: all temporary
        reply = f"{type(exc).__name__}: {exc}"
        results = [SendResult(SendStatus.TEMPORARY_FAILURE, None, reply) for _ in rows]
    missing = SendResult(SendStatus.TEMPORARY_FAILURE, None, "the transport returned no result")
    results += [missing] * (len(rows) - len(results))
    now = clock.now()
    for row, result in zip(rows, results, strict=False):
        if result.status is SendStatus.ACCEPTED:
            store.record_result(row.id, owner=owner, now=now, state=DeliveryState.SENT,
                                error=None)
            report.sent += 1
        elif result.status is SendStatus.PERMANENT_FAILURE:
            store.record_result(row.id, owner=owner, now=now, state=DeliveryState.FAILED,
                                error=describe(result))
            report.failed += 1
        else:
            store.record_result(row.id, owner=owner, now=now, state=DeliveryState.QUEUED,
                                error=describe(result),
                                next_attempt_at=now + retry_delay(row.attempts + 1))
            report.queued += 1
    return report
