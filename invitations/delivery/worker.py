"""Durable delivery: send queued outbox rows, retry with backoff, never lose one.

A worker *claims* due rows with a lease (so two workers on one store never
send the same message at once), sends each through a transport and records
the result at once: accepted -> ``sent``; temporary failure -> still
``queued`` with the next attempt after an exponential, jittered delay;
permanent failure (5xx) or too many attempts -> ``failed`` with the reply.
A worker that dies keeps its lease until it expires; then another worker takes
the row over. Delivery is therefore at-least-once; the stable Message-ID makes
a duplicate recognisable.

The caller owns the transport: :func:`deliver` neither opens nor closes it, so
one SMTP connection serves many calls.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from invitations.clock import Clock
from invitations.delivery.policy import RateLimiter, RetryPolicy
from invitations.errors import StoreUnavailable
from invitations.models import DeliveryState, OutboxRow
from invitations.redaction import mask_addresses
from invitations.store.protocol import InvitationStore, MailSignal
from invitations.transports.base import SendResult, SendStatus, Transport

log = logging.getLogger("invitations.delivery")
T = TypeVar("T")

DEFAULT_LEASE = timedelta(minutes=5)
#: Waits after the database was lost: the first, and the longest.
RECONNECT_BACKOFF = (0.2, 10.0)
#: Rows claimed at once: small, so a lease never outlives the batch it covers.
BATCH = 20


@dataclass
class DeliveryReport:
    """How one delivery run went."""

    sent: int = 0
    queued: int = 0
    failed: int = 0
    #: Replies of permanent failures, ``(message_id, reply)``, for the operator.
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.sent + self.queued + self.failed

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.queued += other.queued
        self.failed += other.failed
        self.failures.extend(other.failures)


def worker_id() -> str:
    """A lease owner name unique to this process (host, pid, random)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def describe(result: SendResult) -> str:
    """The reply as stored in ``last_error``: code and text, once."""
    if result.code is None or result.reply.startswith(str(result.code)):
        return result.reply
    return f"{result.code} {result.reply}".strip()


def send_row(transport: Transport, row: OutboxRow) -> SendResult:
    """Send one row; a transport that raises counts as a temporary failure."""
    try:
        results = transport.send([row.to_message()])
    except Exception as exc:  # a broken transport must not lose the message
        return SendResult(SendStatus.TEMPORARY_FAILURE, None, f"{type(exc).__name__}: {exc}")
    if not results:
        return SendResult(SendStatus.TEMPORARY_FAILURE, None, "the transport returned no result")
    return results[0]


def record(
    store: InvitationStore,
    row: OutboxRow,
    result: SendResult,
    *,
    owner: str,
    clock: Clock,
    policy: RetryPolicy,
    report: DeliveryReport,
    stop: threading.Event | None = None,
) -> DeliveryState | None:
    """Store the outcome of one attempt and count it in ``report``; the state the row
    took, or ``None`` when the result matched no row (the lease was lost meanwhile).

    The message is already with the relay: if the database is lost now, the result
    is written again with backoff (the lease keeps the row ours meanwhile), since a
    result not written means the message is sent again when the lease runs out.
    """
    put = _retrying(store, stop)
    now = clock.now()
    attempts = row.attempts + 1
    if result.status is SendStatus.ACCEPTED:
        took = put(row.id, owner=owner, now=now, state=DeliveryState.SENT, error=None)
        report.sent += 1
        return DeliveryState.SENT if took else None
    reply = describe(result)
    if result.status is SendStatus.TEMPORARY_FAILURE and not policy.gives_up(attempts):
        took = put(
            row.id,
            owner=owner,
            now=now,
            state=DeliveryState.QUEUED,
            error=reply,
            next_attempt_at=now + policy.delay(attempts),
        )
        report.queued += 1
        return DeliveryState.QUEUED if took else None
    if result.status is SendStatus.TEMPORARY_FAILURE:
        reply = f"gave up after {attempts} attempts; last reply: {reply}"
    took = put(row.id, owner=owner, now=now, state=DeliveryState.FAILED, error=reply)
    report.failed += 1
    report.failures.append((row.message_id, reply))
    return DeliveryState.FAILED if took else None


#: How an attempt is logged: the state the row took -> level and words.
_OUTCOMES = {
    DeliveryState.SENT: (logging.INFO, "sent"),
    DeliveryState.QUEUED: (logging.WARNING, "temporary failure, retry queued"),
    DeliveryState.FAILED: (logging.WARNING, "failed for good"),
}


def log_attempt(row: OutboxRow, result: SendResult, state: DeliveryState | None) -> None:
    """One record per delivery attempt (``invitations.delivery``): the relay's reply
    code, the reply with addresses masked; the recipients only at DEBUG."""
    fields = {"message_id": row.message_id, "invitation_id": row.invitation_id,
              "kind": str(row.kind), "attempt": row.attempts + 1, "reply_code": result.code,
              "outcome": "lease lost" if state is None else str(state)}
    if state is None:
        log.warning("%s attempt %d of %s: the result matched no row (its lease was taken "
                    "over meanwhile)", row.kind, row.attempts + 1, row.message_id,
                    extra=fields)
        return
    level, words = _OUTCOMES[state]
    log.log(level, "%s attempt %d of %s: %s (%s)", row.kind, row.attempts + 1,
            row.message_id, words, mask_addresses(describe(result)) or "no reply",
            extra=fields)
    log.debug("%s %s is addressed to %s", row.kind, row.message_id, ", ".join(row.recipients),
              extra=fields)


def patiently(call: Callable[[], T], what: str, stop: threading.Event | None) -> T:
    """``call()``, retried with backoff while the database is unavailable (logged as
    "could not <what>"); gives up only when ``stop`` is set."""
    delay, longest = RECONNECT_BACKOFF
    while True:
        try:
            return call()
        except StoreUnavailable as error:
            if stop is not None and stop.is_set():
                raise
            log.warning("could not %s (%s); retrying in %.1f s", what,
                        error.detail or error, delay)
            (stop or threading.Event()).wait(delay)
            delay = min(delay * 2, longest)


def _retrying(store: InvitationStore, stop: threading.Event | None) -> Callable[..., bool]:
    """``store.record_result``, retried with backoff while the database is unavailable."""

    def put(row_id: int, **kwargs: Any) -> bool:
        return patiently(lambda: store.record_result(row_id, **kwargs),
                         f"record the result of outbox row {row_id}", stop)

    return put


def requeue_failed(
    store: InvitationStore, *, now: datetime, message_ids: Sequence[str] | None = None
) -> int:
    """Queue failed messages again, due now, with a fresh allowance of attempts."""
    return store.requeue_failed(now=now, message_ids=message_ids)


#: Called after each attempt's result is committed: the row as claimed, the
#: transport's result and the state the row took (see :func:`deliver`); what it
#: returns is ignored.
ResultHook = Callable[[OutboxRow, SendResult, DeliveryState], object]


def deliver(
    store: InvitationStore,
    transport: Transport,
    *,
    clock: Clock,
    owner: str | None = None,
    message_ids: Sequence[str] | None = None,
    limit: int = 100,
    lease: timedelta = DEFAULT_LEASE,
    policy: RetryPolicy | None = None,
    batch: int = BATCH,
    pace: RateLimiter | None = None,
    stop: threading.Event | None = None,
    on_result: ResultHook | None = None,
) -> DeliveryReport:
    """Send up to ``limit`` due messages (or only ``message_ids``); never raises for a
    failed send. Each result is recorded as soon as the server answers, so a
    crash loses no progress. ``stop`` ends the run after the message in flight;
    rows claimed but not sent are released at once (after a crash: when ``lease``
    runs out). ``on_result`` is called after each result is committed (not for a
    result that matched no row); what it raises is logged, never propagated.
    """
    owner = owner or worker_id()
    policy = policy or RetryPolicy()
    report = DeliveryReport()
    more = True
    while more and report.total < limit and not (stop is not None and stop.is_set()):
        wanted = min(batch, limit - report.total)
        rows = store.claim_due(
            owner=owner, now=clock.now(), lease=lease, limit=wanted, message_ids=message_ids
        )
        more = len(rows) == wanted  # fewer: nothing else was due, spare a query
        for index, row in enumerate(rows):
            stopped = pace is not None and not pace.wait(stop)
            if stopped or (stop is not None and stop.is_set()):
                # Hand the rest back now rather than when the lease runs out.
                store.release([r.id for r in rows[index:]], owner=owner)
                return report
            result = send_row(transport, row)
            state = record(store, row, result, owner=owner, clock=clock, policy=policy,
                           report=report, stop=stop)
            log_attempt(row, result, state)
            if on_result is not None and state is not None:
                try:
                    # The follow-up reads and queues too: a lost database is waited out.
                    patiently(functools.partial(on_result, row, result, state),
                              f"follow up the result of outbox row {row.id}", stop)
                except StoreUnavailable:
                    raise  # stopping while the database is away: as for the result
                except Exception:
                    log.exception("the result hook failed for outbox row %s; delivery goes on",
                                  row.id, extra={"message_id": row.message_id,
                                                 "invitation_id": row.invitation_id})
    return report


def run_workers(
    store: InvitationStore,
    transport_factory: Callable[[], Transport],
    *,
    clock: Clock,
    workers: int = 1,
    watch: bool = False,
    interval: float = 5.0,
    stop: threading.Event | None = None,
    policy: RetryPolicy | None = None,
    lease: timedelta = DEFAULT_LEASE,
    pace: RateLimiter | None = None,
    on_report: Callable[[DeliveryReport], None] | None = None,
    batch: int = 5,
    on_result: ResultHook | None = None,
) -> DeliveryReport:
    """Run ``workers`` threads, each with its own transport (its own connection),
    until the queue has nothing due; with ``watch`` until ``stop`` is set,
    checking every ``interval`` seconds. ``on_report`` sees each batch's report;
    ``on_result`` each committed result (see :func:`deliver`), in the worker's thread.

    A store that signals queued mail (:class:`~invitations.store.protocol.MailSignal`,
    PostgreSQL) wakes idle workers at once; ``interval`` then only bounds how late a
    retry that falls due or an expired lease of a dead worker is noticed. A lost
    database is waited out with backoff (logged), never a reason to stop.
    """
    signal = store if isinstance(store, MailSignal) else None
    stop = stop or threading.Event()
    total = DeliveryReport()
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        owner = worker_id()
        delay, longest = RECONNECT_BACKOFF
        try:
            with transport_factory() as transport:
                while not stop.is_set():
                    mark = signal.mark() if signal is not None else 0
                    try:
                        report = deliver(
                            store,
                            transport,
                            clock=clock,
                            owner=owner,
                            limit=batch,
                            lease=lease,
                            policy=policy,
                            pace=pace,
                            stop=stop,
                            batch=batch,
                            on_result=on_result,
                        )
                    except StoreUnavailable as error:
                        log.warning("%s: %s; trying again in %.1f s", owner,
                                    error.detail or error, delay)
                        stop.wait(delay)
                        delay = min(delay * 2, longest)
                        continue
                    delay = RECONNECT_BACKOFF[0]
                    with lock:
                        total.add(report)
                        if on_report is not None and report.total:
                            on_report(report)
                    if report.total == 0:
                        if not watch:
                            return
                        if signal is not None:
                            signal.wait_for_mail(mark, interval, stop)
                        else:
                            stop.wait(interval)
        except BaseException as error:  # surfaced in the calling thread
            errors.append(error)
            stop.set()

    threads = [threading.Thread(target=work, name=f"deliver-{n}") for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return total
