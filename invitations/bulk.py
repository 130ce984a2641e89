"""Bulk invitations from a CSV file: validate every row, then queue and send in parallel.

The file is read twice, row by row, never held in memory: first every row is
checked (each bad row reported with its line number and reason), then, if all
rows are good or ``skip_invalid`` is set, each row is turned into a queued
invitation by the service and handed to ``workers`` threads that send over
their own reused SMTP connections. Stopping (Ctrl-C) leaves every queued but
unsent message in the outbox for ``invitations deliver``. The columns are
described in :mod:`invitations.bulk_rows`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from os import PathLike

from .bulk_rows import (
    OPTIONAL,
    REQUIRED,
    BulkInvite,
    CSVFormatError,
    DuplicateRow,
    RowProblem,
    parse_file,
    parse_record,
    read_records,
)
from .delivery import DEFAULT_LEASE, RateLimiter, RetryPolicy, deliver, worker_id
from .errors import InvitationError
from .service import InvitationService
from .transports import Transport, transport_from_url

__all__ = [
    "OPTIONAL",
    "REQUIRED",
    "BulkInvite",
    "BulkReport",
    "CSVFormatError",
    "DuplicateRow",
    "RowProblem",
    "parse_file",
    "parse_record",
    "read_records",
    "send_csv",
    "validate_csv",
]


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
    report = BulkReport()
    for parsed in parse_file(path):
        report.rows += 1
        if isinstance(parsed, RowProblem):
            report.invalid += 1
            if on_problem is not None:
                on_problem(parsed)
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
) -> BulkReport:
    """Validate ``path``, then invite every good row.

    ``transport`` is a URL or a factory (each worker gets its own transport,
    so its own connection); ``None`` only queues, for a ``deliver`` worker to
    send. Nothing is queued when a row is bad, unless ``skip_invalid``.
    ``on_progress(done, total)`` follows the sending; ``on_failure(what, reply)``
    hears of each failed message or row the service refused.
    """
    report = validate_csv(path, on_problem)
    if report.invalid and not skip_invalid:
        return report
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
                    result = deliver(
                        service.store,
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
                    )
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

    threads = [threading.Thread(target=work, name=f"bulk-{n}") for n in range(workers)]
    if factory is not None:
        for thread in threads:
            thread.start()
    try:
        _produce(path, service, report, stop, chunks if factory else None, batch, on_failure, count)
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


def _produce(
    path: str | PathLike[str],
    service: InvitationService,
    report: BulkReport,
    stop: threading.Event,
    chunks: queue.Queue[list[str] | None] | None,
    batch: int,
    on_failure: Callable[[str, str], None] | None,
    count: Callable[..., None],
) -> None:
    """Queue one invitation per good row; hand message ids to the workers in chunks."""
    chunk: list[str] = []
    for parsed in parse_file(path):
        if stop.is_set():
            break
        if isinstance(parsed, RowProblem):
            continue
        try:
            invitation = service.send_invite(
                parsed.email,
                company=parsed.company,
                invited_by=parsed.inviter,
                role=parsed.role,
                services=parsed.services,
                languages=parsed.languages,
                first_name=parsed.first_name,
                last_name=parsed.last_name,
                deliver=False,
            )
        except InvitationError as error:
            count(failed=1)
            if on_failure is not None:
                on_failure(f"line {parsed.line}", error.message("en"))
            continue
        if chunks is None or invitation.message_id is None:
            count(unsent=1)
            continue
        chunk.append(invitation.message_id)
        if len(chunk) >= batch:
            chunks.put(chunk)
            chunk = []
    if chunk and chunks is not None:
        chunks.put(chunk)
