"""Turn the good rows of a bulk file into queued invitations, in batches.

For each batch of rows the service drafts every invitation (record, nonce,
signed link: cheap), the batch's mail is composed, and then the whole batch
is committed in ONE store transaction (invitations and outbox rows together:
a failure writes none of the batch, and no message is handed to a sender
before its row is committed). Composing is the expensive part and pure CPU
work, which threads cannot share under one interpreter lock; with
``processes`` it runs in child processes (:mod:`invitations.delivery.bulk.compose`),
several batches ahead, while this thread commits finished batches and the
sending threads talk SMTP.

A row whose address already has a pending invitation at its company, or
whose mail the pool could not compose, goes the ordinary way
(:meth:`InvitationService.send_invite`), which reissues or reports it.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from itertools import islice

from invitations.delivery.bulk.compose import Composed, ComposePool, compose_all
from invitations.delivery.bulk.rows import BulkInvite
from invitations.errors import InvitationError
from invitations.service import Draft, InvitationService
from invitations.store.protocol import NewInvitation

#: Invitations per store transaction (and per task of the compose pool).
BATCH = 25
#: Below this many rows a pool does not pay for starting its processes.
POOL_MIN_ROWS = 1000

Emit = Callable[[list[str]], None]
Fail = Callable[[BulkInvite, InvitationError], None]


def compose_processes(workers: int, rows: int) -> int:
    """How many compose processes a run gets by default: none for a small file, a
    single sender or a single CPU, else one per CPU (at most ``workers``)."""
    cpus = os.cpu_count() or 1
    if workers <= 1 or rows < POOL_MIN_ROWS or cpus < 2:
        return 0
    return min(workers, cpus)


@dataclass
class _Batch:
    rows: list[BulkInvite]
    drafts: list[Draft]
    messages: Future[Composed]


def _done(messages: Composed) -> Future[Composed]:
    future: Future[Composed] = Future()
    future.set_result(messages)
    return future


def _batches(invites: Iterable[BulkInvite], size: int) -> Iterator[list[BulkInvite]]:
    rows = iter(invites)
    while batch := list(islice(rows, size)):
        yield batch


def queue_invites(
    invites: Iterable[BulkInvite],
    service: InvitationService,
    *,
    emit: Emit,
    fail: Fail,
    stop: threading.Event,
    processes: int = 0,
    batch: int = BATCH,
) -> None:
    """Queue every invite; ``emit`` gets the message ids of each committed batch,
    ``fail`` each row the service refused. With ``processes``, up to two batches
    per process are composed ahead; batches are committed in file order."""
    pool = ComposePool(processes) if processes > 0 else None
    try:
        _run(invites, service, emit, fail, stop, pool, 1 + 2 * processes, batch)
    finally:
        if pool is not None:
            pool.close()


def _run(invites: Iterable[BulkInvite], service: InvitationService, emit: Emit, fail: Fail,
         stop: threading.Event, pool: ComposePool | None, depth: int, batch: int) -> None:
    ahead: deque[_Batch] = deque()
    for rows in _batches(invites, batch):
        if stop.is_set():
            break
        drafts = [_draft_row(service, row) for row in rows]
        emails = [draft.email for draft in drafts]
        messages = pool.submit(emails) if pool else _done(compose_all(emails))
        ahead.append(_Batch(rows, drafts, messages))
        while ahead and (len(ahead) >= depth or ahead[0].messages.done()):
            _commit(ahead.popleft(), service, emit, fail)
            if stop.is_set():
                return
    while ahead and not stop.is_set():
        _commit(ahead.popleft(), service, emit, fail)


def _draft_row(service: InvitationService, row: BulkInvite) -> Draft:
    langs = service.languages if row.languages is None else row.languages
    return service.draft(row.email, row.company, row.inviter, row.role, row.services, langs,
                          row.first_name, row.last_name, service.clock.now())


def _commit(batch: _Batch, service: InvitationService, emit: Emit, fail: Fail) -> None:
    entries: list[NewInvitation] = []
    kept: list[BulkInvite] = []
    redo: list[BulkInvite] = []
    for row, draft, message in zip(batch.rows, batch.drafts, batch.messages.result(),
                                   strict=True):
        if message is None:
            redo.append(row)
            continue
        entries.append(NewInvitation(draft.invitation, draft.nonce_hash,
                                     service.with_return_path(message), draft.now))
        kept.append(row)
    skipped = set(service.store.add_many(entries))
    ids = [entry.message.message_id for n, entry in enumerate(entries) if n not in skipped]
    redo.extend(row for n, row in enumerate(kept) if n in skipped)
    for row in sorted(redo, key=lambda r: r.line):
        message_id = invite_one(service, row, fail)
        if message_id is not None:
            ids.append(message_id)
    emit(ids)


def invite_one(service: InvitationService, row: BulkInvite, fail: Fail) -> str | None:
    """The ordinary path for one row: its queued message id, or ``None`` if refused."""
    try:
        invitation = service.send_invite(
            row.email, company=row.company, invited_by=row.inviter, role=row.role,
            services=row.services, languages=row.languages, first_name=row.first_name,
            last_name=row.last_name, deliver=False,
        )
    except InvitationError as error:
        fail(row, error)
        return None
    return invitation.message_id
