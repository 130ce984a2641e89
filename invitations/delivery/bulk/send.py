"""Bulk invitations from a CSV file: validate every row, then queue and send in parallel.

The file is read once, row by row, never held in memory: every row is
checked (each bad row reported with its line number and reason) and the good
ones are kept in a temporary file, so that what is sent is exactly what was
checked. Then, if all rows are good or ``skip_invalid`` is set, the rows are
queued in batches (one store transaction each, mail composed in helper
processes for big files: :mod:`invitations.delivery.bulk.enqueue`) and handed to
``workers`` threads that send over their own reused SMTP connections while the
next batches are prepared. Stopping (Ctrl-C) leaves every queued but unsent
message in the outbox for ``invitations deliver``. The columns are
described in :mod:`invitations.delivery.bulk.rows`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from os import PathLike

from invitations.delivery import DEFAULT_LEASE, RateLimiter, RetryPolicy, deliver, worker_id
from invitations.delivery.bulk.enqueue import compose_processes, queue_invites
from invitations.delivery.bulk.results import Recorder
from invitations.delivery.bulk.rows import (
    BulkInvite,
    CheckedRows,
    RowProblem,
    parse_file,
)
from invitations.errors import InvitationError
from invitations.service import InvitationService
from invitations.transports import Transport, transport_from_url

__all__ = ["BulkReport", "send_csv", "validate_csv"]


@dataclass
class BulkReport:
    """What a bulk run did. ``unsent`` rows are queued but were not tried (stopped)."""

    rows: int = 0
    invalid: int = 0
    sent: int = 0
    queued: int = 0
    failed: int = 0
    unsent: int = 0
    stopped: bool = False

    @property
    def skipped(self) -> int:
        return self.invalid

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.invalid == 0 and not self.stopped


def validate_csv(
    path: str | PathLike[str], on_problem: Callable[[RowProblem], None] | None = None
) -> BulkReport:
    """Check the whole file; report each bad row through ``on_problem``."""
    return _check(path, on_problem)


def _check(
    path: str | PathLike[str],
    on_problem: Callable[[RowProblem], None] | None,
    keep: Callable[[BulkInvite], None] | None = None,
) -> BulkReport:
    report = BulkReport()
    for parsed in parse_file(path):
        report.rows += 1
        if isinstance(parsed, RowProblem):
            report.invalid += 1
            if on_problem is not None:
                on_problem(parsed)
        elif keep is not None:
            keep(parsed)
    return report


TransportSource = str | Callable[[], Transport] | None


def send_csv(
    path: str | PathLike[str],
    *,
    service: InvitationService,
    transport: TransportSource,
    workers: int = 1,
    rate: float | None = None,
    skip_invalid: bool = False,
    stop: threading.Event | None = None,
    on_problem: Callable[[RowProblem], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    on_failure: Callable[[str, str], None] | None = None,
    policy: RetryPolicy | None = None,
    batch: int = 10,
    processes: int | None = None,
) -> BulkReport:
    """Validate ``path``, then invite every good row.

    ``transport`` is a URL or a factory (each worker gets its own transport,
    so its own connection); ``None`` only queues, for a ``deliver`` worker to
    send. Nothing is queued when a row is bad, unless ``skip_invalid``.
    ``on_progress(done, total)`` follows the sending; ``on_failure(what, reply)``
    hears of each failed message or row the service refused. ``batch`` message
    ids go to a sender at a time; ``processes`` compose the mail in a process pool
    (``None``: one per CPU when sending over several connections from a big file,
    see :func:`invitations.delivery.bulk.enqueue.compose_processes`; ``0``: in this process).
    """
    with CheckedRows() as checked:
        report = _check(path, on_problem, checked.add)
        if report.invalid and not skip_invalid:
            return report
        return _send(checked, report, service, transport, workers, rate, stop, on_progress,
                     on_failure, policy, batch, processes)


def _send(
    checked: CheckedRows,
    report: BulkReport,
    service: InvitationService,
    transport: TransportSource,
    workers: int,
    rate: float | None,
    stop: threading.Event | None,
    on_progress: Callable[[int, int], None] | None,
    on_failure: Callable[[str, str], None] | None,
    policy: RetryPolicy | None,
    batch: int,
    processes: int | None,
) -> BulkReport:
    stop = stop or threading.Event()
    total = report.rows - report.invalid
    factory = (lambda: transport_from_url(transport)) if isinstance(transport, str) else transport
    if factory is not None:
        factory().close()  # a bad URL or factory fails now, before anything is queued
    pace = RateLimiter(rate) if rate else None
    chunks: queue.Queue[list[str] | None] = queue.Queue(maxsize=max(2, workers * 2))
    lock = threading.Lock()
    done = 0
    errors: list[BaseException] = []
    recorder = Recorder(service.store)  # results: many per transaction, off the senders
    outbox = recorder.store_view()

    def count(sent: int = 0, queued: int = 0, failed: int = 0, unsent: int = 0) -> None:
        nonlocal done
        with lock:
            report.sent += sent
            report.queued += queued
            report.failed += failed
            report.unsent += unsent
            done += sent + queued + failed
            progress = done
        if on_progress is not None:
            on_progress(progress, total)

    def work() -> None:
        assert factory is not None
        owner = worker_id()
        try:
            with factory() as transport_:
                while (chunk := chunks.get()) is not None:
                    if stop.is_set():
                        count(unsent=len(chunk))
                        continue
                    notices: list[str] = []
                    result = deliver(
                        outbox,
                        transport_,
                        clock=service.clock,
                        owner=owner,
                        message_ids=chunk,
                        limit=len(chunk),
                        lease=DEFAULT_LEASE,
                        policy=policy,
                        pace=pace,
                        stop=stop,
                        batch=len(chunk),
                        on_result=service.result_hook(notices),
                    )
                    if notices:  # inviters told of refused invitations, not counted
                        deliver(outbox, transport_, clock=service.clock, owner=owner,
                                message_ids=notices, limit=len(notices), policy=policy,
                                stop=stop)
                    count(
                        result.sent, result.queued, result.failed, unsent=len(chunk) - result.total
                    )
                    for message_id, reply in result.failures:
                        if on_failure is not None:
                            on_failure(message_id, reply)
        except BaseException as error:  # reported in the calling thread
            errors.append(error)
            stop.set()
            while (chunk := chunks.get()) is not None:  # keep the producer from blocking
                count(unsent=len(chunk))

    def emit(message_ids: list[str]) -> None:
        if factory is None:
            count(unsent=len(message_ids))
            return
        for start in range(0, len(message_ids), batch):
            chunks.put(message_ids[start : start + batch])

    def fail(row: BulkInvite, error: InvitationError) -> None:
        count(failed=1)
        if on_failure is not None:
            on_failure(f"line {row.line}", error.message("en"))

    if processes is None:
        processes = compose_processes(workers, total)
    threads = [threading.Thread(target=work, name=f"bulk-{n}") for n in range(workers)]
    with recorder:
        if factory is not None:
            for thread in threads:
                thread.start()
        try:
            queue_invites(checked, service, emit=emit, fail=fail, stop=stop, processes=processes)
        finally:
            if factory is not None:
                for _ in threads:
                    chunks.put(None)
                for thread in threads:
                    thread.join()
    report.stopped = stop.is_set()
    if errors:
        raise errors[0]
    return report

