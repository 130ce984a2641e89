"""The fast bulk path: batched store writes, checked rows spooled, compose processes."""

from __future__ import annotations

import dataclasses
import email
import os
import select
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.policy import default as default_policy
from pathlib import Path

import pytest

from invitations.clock import FrozenClock
from invitations.delivery import deliver
from invitations.delivery.bulk import send_csv
from invitations.delivery.bulk.compose import ComposePool, compose_all
from invitations.delivery.bulk.enqueue import BATCH, POOL_MIN_ROWS, compose_processes
from invitations.delivery.bulk.results import Recorder
from invitations.models import DeliveryState, Invitation
from invitations.rendering.samples import sample_invitation
from invitations.service import InvitationService
from invitations.store import NewInvitation, ResultUpdate, SQLiteInvitationStore
from invitations.transports import Transport, transport_from_url
from tests.delivery.conftest import BASE_URL, COMPANY, KEY, MAIN_USER, ServiceFactory
from tests.delivery.test_bulk import Server, good_row, write_csv
from tests.delivery.test_crash import kill


def stored_one(service: InvitationService) -> NewInvitation:
    """One invitation stored the ordinary way; its fields are the template of new ones."""
    invitation = service.send_invite(
        "first@testi.fi", company=COMPANY, invited_by=MAIN_USER, deliver=False
    )
    return _fresh(service, invitation, 0)


def _fresh(service: InvitationService, template: Invitation, n: int) -> NewInvitation:
    """An unstored copy of ``template`` for a new address, with its own mail."""
    draft = service.draft(
        f"new{n}@testi.fi", template.company, template.inviter, template.role,
        template.services, template.languages, "Anna", "Virtanen", service.clock.now(),
    )  # fmt: skip
    message = compose_all([draft.email])[0]
    assert message is not None
    return NewInvitation(draft.invitation, draft.nonce_hash, message, draft.now)


def test_a_batch_is_written_whole(service_factory: ServiceFactory) -> None:
    service = service_factory(None)
    first = stored_one(service)
    batch = [_fresh(service, first.invitation, n) for n in range(3)]
    assert service.store.add_many(batch) == []
    stored = {i.email for i in service.list()}
    assert {"new0@testi.fi", "new1@testi.fi", "new2@testi.fi"} <= stored
    for entry in batch:
        [row] = service.store.outbox(invitation_id=entry.invitation.id)
        assert row.state is DeliveryState.QUEUED and row.data == entry.message.data


def test_a_failure_inside_a_batch_writes_none_of_it(service_factory: ServiceFactory) -> None:
    service = service_factory(None)
    first = stored_one(service)
    batch = [_fresh(service, first.invitation, n) for n in range(10, 14)]
    # The third entry reuses a Message-ID: the outbox's UNIQUE constraint fails mid-batch.
    broken = dataclasses.replace(batch[2].message, message_id=batch[0].message.message_id)
    batch[2] = dataclasses.replace(batch[2], message=broken)
    before = (len(service.list()), len(service.store.outbox()))
    with pytest.raises(sqlite3.IntegrityError):
        service.store.add_many(batch)
    assert (len(service.list()), len(service.store.outbox())) == before
    assert service.store.add_many([batch[0], batch[1], batch[3]]) == []  # nothing half-held


def test_an_address_with_a_pending_invitation_is_left_to_the_caller(
    service_factory: ServiceFactory,
) -> None:
    service = service_factory(None)
    first = stored_one(service)
    # The stored invitation's address, spelled differently.
    again = dataclasses.replace(first.invitation, id="f" * 32, email="FIRST@testi.fi")
    clash = dataclasses.replace(_fresh(service, first.invitation, 20), invitation=again)
    fine = _fresh(service, first.invitation, 21)
    assert service.store.add_many([clash, fine]) == [0]
    assert service.store.get("f" * 32, now=service.clock.now()) is None
    assert len(service.store.outbox(invitation_id=fine.invitation.id)) == 1


def test_a_second_run_reissues_through_the_service(
    tmp_path: Path, service_factory: ServiceFactory
) -> None:
    service = service_factory(None)
    path = write_csv(tmp_path / "in.csv", [good_row(n) for n in range(5)])
    send_csv(path, service=service, transport=None)
    links = {i.email: i.id for i in service.list()}
    report = send_csv(path, service=service, transport=None)
    assert (report.unsent, report.failed) == (5, 0)
    invitations = service.list()
    assert {i.email: i.id for i in invitations} == links  # reissued, not duplicated
    assert {i.resend_count for i in invitations} == {1}
    assert all(len(service.store.outbox(invitation_id=i.id)) == 1 for i in invitations)


def test_compose_processes_send_the_same_mail(
    tmp_path: Path, service_factory: ServiceFactory, smtp_server: Server
) -> None:
    server = smtp_server()
    service = service_factory(None)
    rows = [good_row(n) for n in range(120)]
    report = send_csv(
        write_csv(tmp_path / "in.csv", rows),
        service=service,
        transport=f"smtp://127.0.0.1:{server.port}",
        workers=3,
        processes=2,
    )
    assert (report.sent, report.failed) == (120, 0)
    assert sorted(r.rcpt_tos[0] for r in server.messages) == sorted(r[0] for r in rows)
    for received in server.messages[:5]:
        mail = email.message_from_bytes(received.content, policy=default_policy)
        body = mail.get_body(("plain",))
        assert body is not None
        token = body.get_content().split("token=", 1)[1].split()[0]
        assert service.verify(token).email == received.rcpt_tos[0]


def test_a_dead_compose_process_costs_only_speed() -> None:
    emails = [sample_invitation(to_email=f"user{n}@testi.fi") for n in range(3)]
    with ComposePool(1) as pool:
        assert [m.data for m in pool.submit(emails).result(60) if m] == [
            m.data for m in compose_all(emails) if m
        ]
        for child in pool._children:
            child.process.kill()
            child.process.wait(10)
        again = pool.submit(emails).result(60)
    assert [m.message_id for m in again if m] == [e.message_id for e in emails]


def test_what_is_sent_is_what_was_checked(tmp_path: Path, service_factory: ServiceFactory) -> None:
    service = service_factory(None)
    path = write_csv(tmp_path / "in.csv", [good_row(n) for n in range(3)])

    def factory() -> Transport:
        # Called once after the checking pass: the file changes under our feet.
        write_csv(path, [["not-an-address", *good_row(9)[1:]]])
        return transport_from_url("null://")

    report = send_csv(path, service=service, transport=factory)
    assert (report.sent, report.invalid) == (3, 0)
    assert sorted(i.email for i in service.list()) == [good_row(n)[0] for n in range(3)]


UNGUARDED = """
import sys
from invitations.delivery.bulk import send_csv
from invitations.service import InvitationService
from invitations.store import SQLiteInvitationStore
service = InvitationService([sys.argv[3]], sys.argv[4], None,
                            store=SQLiteInvitationStore(sys.argv[2]), close_store=True)
report = send_csv(sys.argv[1], service=service, transport=None, processes=2)
service.close()
print(report.unsent)
"""


def test_compose_processes_work_from_a_script_without_a_main_guard(
    tmp_path: Path, db: Path
) -> None:
    path = write_csv(tmp_path / "in.csv", [good_row(n) for n in range(60)])
    script = tmp_path / "script.py"
    script.write_text(UNGUARDED)
    done = subprocess.run(
        [sys.executable, str(script), str(path), str(db), KEY, BASE_URL],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["60"]


CRASHING = """
import sys, threading
from invitations.delivery.bulk import send_csv
from invitations.service import InvitationService
from invitations.store import SQLiteInvitationStore
from invitations.transports import transport_from_url

class Stuck:  # a relay that never answers: the run stops inside the send
    def open(self): pass
    def close(self): pass
    def __enter__(self): return self
    def __exit__(self, *exc): pass
    def send(self, messages):
        threading.Event().wait(300)

class Telling(SQLiteInvitationStore):  # a line on stdout for each committed batch
    def add_many(self, entries):
        skipped = super().add_many(entries)
        print(len(entries) - len(skipped), flush=True)
        return skipped

service = InvitationService([sys.argv[3]], sys.argv[4], None,
                            store=Telling(sys.argv[2]), close_store=True)
send_csv(sys.argv[1], service=service, transport=Stuck, workers=2, processes=2, batch=5)
"""


def read_commits(process: subprocess.Popen[bytes], at_least: int, timeout: float = 60) -> None:
    """Return once the child reported ``at_least`` committed rows; fail after ``timeout`` s."""
    assert process.stdout is not None
    fd, seen, committed = process.stdout.fileno(), b"", 0
    deadline = time.monotonic() + timeout
    while committed < at_least:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"only {committed} rows committed after {timeout} s"
        if select.select([fd], [], [], remaining)[0]:
            chunk = os.read(fd, 4096)
            assert chunk, f"the child exited after committing {committed} rows"
            *lines, seen = (seen + chunk).split(b"\n")
            committed += sum(int(line) for line in lines)


def test_a_crash_after_commit_loses_nothing(tmp_path: Path, db: Path, smtp_server: Server) -> None:
    path = write_csv(tmp_path / "in.csv", [good_row(n) for n in range(400)])
    script = tmp_path / "crash.py"
    script.write_text(textwrap.dedent(CRASHING))
    process = subprocess.Popen(
        [sys.executable, str(script), str(path), str(db), KEY, BASE_URL],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        read_commits(process, 2 * BATCH)
    finally:
        kill(process)
        assert process.stdout is not None
        process.stdout.close()
    server = smtp_server()
    with SQLiteInvitationStore(db) as store:
        rows = store.outbox()
        invitations = store.list_invitations(now=rows[0].created_at)
        # Every committed invitation has its mail, and every mail its invitation.
        assert {r.invitation_id for r in rows} == {i.id for i in invitations}
        assert len(rows) % BATCH == 0  # whole batches only
        with transport_from_url(f"smtp://127.0.0.1:{server.port}") as transport:
            # The killed run's leases (on at most two chunks) run out after 5 minutes;
            # a worker that does not wait for them takes the rest now.
            later = FrozenClock(datetime.now(UTC) + timedelta(hours=1))
            report = deliver(store, transport, clock=later, limit=len(rows))
        assert report.sent == len(rows)
    assert len({r.rcpt_tos[0] for r in server.messages}) == len(rows)


def test_pool_size_defaults() -> None:
    cpus = os.cpu_count() or 1
    assert compose_processes(4, POOL_MIN_ROWS - 1) == 0
    assert compose_processes(1, 10 * POOL_MIN_ROWS) == 0
    assert compose_processes(4, POOL_MIN_ROWS) == (0 if cpus < 2 else min(4, cpus))


def test_the_recorder_writes_every_result_in_few_transactions(
    service_factory: ServiceFactory,
) -> None:
    service = service_factory(None)
    for n in range(30):
        service.send_invite(f"r{n}@testi.fi", company=COMPANY, invited_by=MAIN_USER, deliver=False)
    now = service.clock.now()
    rows = service.store.claim_due(owner="me", now=now, lease=timedelta(minutes=5), limit=30)
    calls: list[int] = []
    real = service.store.record_results

    def counting(updates: Sequence[ResultUpdate]) -> int:
        calls.append(len(updates))
        return real(updates)

    service.store.record_results = counting  # type: ignore[method-assign]
    recorder = Recorder(service.store)
    view = recorder.store_view()
    for row in rows:  # handed over before the recorder runs: they wait for it
        assert view.record_result(row.id, owner="me", now=now, state=DeliveryState.SENT)
    assert view.outbox(state=DeliveryState.SENT) == []  # nothing written yet; reads go through
    with recorder:
        pass
    assert calls == [30]  # one transaction for all of them
    assert {r.state for r in service.store.outbox()} == {DeliveryState.SENT}
    assert all(r.lease_owner is None and r.attempts == 1 for r in service.store.outbox())


def test_a_store_error_in_the_recorder_reaches_the_caller(
    service_factory: ServiceFactory,
) -> None:
    service = service_factory(None)

    def broken(updates: Sequence[ResultUpdate]) -> int:
        raise sqlite3.OperationalError("disk I/O error")

    service.store.record_results = broken  # type: ignore[method-assign]
    update = ResultUpdate(1, "me", service.clock.now(), DeliveryState.SENT)
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"), Recorder(service.store) as r:
        r.put(update)
