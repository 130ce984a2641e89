"""Processes killed mid-send lose nothing; the worker CLI stops cleanly on signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from invitations.clock import FrozenClock
from invitations.delivery import deliver
from invitations.models import DeliveryState
from invitations.store import SQLiteInvitationStore
from invitations.store.outbox import scrub
from invitations.transports import SMTPTransport
from tests.delivery.conftest import BASE_URL, KEY, ServiceFactory, invite
from tests.transports.smtpd import SMTPServer, Stall

Server = Callable[..., SMTPServer]
CLI = [sys.executable, "-c", "from invitations.cli import main; main()"]

SEND_ONE = f"""
import sys
from invitations.models import Company, Inviter, Role
from invitations.service import InvitationService
from invitations.store import SQLiteInvitationStore
from invitations.store.outbox import scrub

service = InvitationService([{KEY!r}], {BASE_URL!r}, sys.argv[2],
                           store=SQLiteInvitationStore(sys.argv[1]))
service.send_invite("killed@testi.fi", company=Company("0112038-9", "Testi Oy", "LOG-1"),
                    invited_by=Inviter("paula@testi.fi", None, Role.MAIN_USER, "0112038-9"))
print("returned")
"""


def until_the_leases_run_out(db: Path) -> None:
    """Return once every lease held in the outbox has run out (leases are real time)."""
    with SQLiteInvitationStore(db) as store:
        leases = [r.lease_until for r in store.outbox() if r.lease_owner and r.lease_until]
    assert leases, "the killed worker held no lease"
    remaining = (max(leases) - datetime.now(UTC)).total_seconds()
    if remaining > 0:
        time.sleep(remaining)  # the lease running out is what this waits for


def kill(process: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)


def test_send_invite_killed_mid_data_leaves_the_message_queued(
    smtp_server: Server, db: Path, tmp_path: Path
) -> None:
    stall = smtp_server(Stall())
    script = tmp_path / "send_one.py"
    script.write_text(SEND_ONE)
    process = subprocess.Popen(
        [sys.executable, str(script), str(db), f"smtp://127.0.0.1:{stall.port}?timeout=60"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert isinstance(stall.handler, Stall)
        assert stall.handler.in_data.wait(30), "the child never reached DATA"
    finally:
        kill(process)
    assert process.stdout is not None and "returned" not in process.stdout.read()

    with SQLiteInvitationStore(db) as store:
        [row] = store.outbox()
        assert (row.state, row.attempts, row.sent_at) == (DeliveryState.QUEUED, 0, None)
        assert row.lease_owner  # the dead process's claim, until it expires
        good = smtp_server()
        later = FrozenClock(row.lease_until + timedelta(seconds=1) if row.lease_until else None)
        with SMTPTransport("127.0.0.1", good.port, timeout=5) as transport:
            report = deliver(store, transport, clock=later)
        assert report.sent == 1
        [done] = store.outbox()
        assert done.state is DeliveryState.SENT
    assert good.messages[0].content == row.data


def cli_env(db: Path, server: SMTPServer) -> dict[str, str]:
    return {**os.environ, "INVITATIONS_DB": str(db),
            "INVITATIONS_TRANSPORT": f"smtp://127.0.0.1:{server.port}?timeout=30",
            "INVITATIONS_LANG": "en"}


def test_deliver_command_killed_mid_send_then_rerun(
    smtp_server: Server, service_factory: ServiceFactory, db: Path
) -> None:
    queue_only = service_factory(None)
    invitations = [invite(queue_only, n) for n in range(3)]
    stall = smtp_server(Stall())
    process = subprocess.Popen([*CLI, "deliver", "--lease", "1"], env=cli_env(db, stall),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert isinstance(stall.handler, Stall)
        assert stall.handler.in_data.wait(30)
    finally:
        kill(process)
    assert {i.delivery_state for i in queue_only.list()} == {DeliveryState.QUEUED}

    good = smtp_server()
    until_the_leases_run_out(db)  # the dead worker's one-second lease
    done = subprocess.run([*CLI, "deliver", "--json"], env=cli_env(db, good),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sent"] == 3
    assert len(good.messages) == 3
    assert {i.delivery_state for i in queue_only.list()} == {DeliveryState.SENT}
    # What the server got is the mail; what the outbox keeps is its scrubbed record.
    assert {scrub(m.content) for m in good.messages} == {
        r.data for r in queue_only.store.outbox() if r.invitation_id in
        {i.id for i in invitations}
    }


def test_watch_worker_sends_new_mail_and_stops_on_sigint(
    smtp_server: Server, service_factory: ServiceFactory, db: Path
) -> None:
    server = smtp_server()
    queue_only = service_factory(None)
    invite(queue_only, 0)  # creates the database before the worker opens it
    process = subprocess.Popen([*CLI, "deliver", "--watch", "--interval", "0.1"],
                               env=cli_env(db, server), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        server.wait_for_messages(1)
        invite(queue_only, 1)
        server.wait_for_messages(2)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            kill(process)
    assert process.returncode == 0, err
    assert "sent 2, queued for retry 0, failed 0" in out
    assert "stopping after the messages in flight" in err
    assert "Traceback" not in err


def test_deliver_command_reports_failures_and_retries_them(
    smtp_server: Server, service_factory: ServiceFactory, db: Path, clock: FrozenClock
) -> None:
    from tests.transports.smtpd import Scripted

    # The CLI runs on the wall clock: the invitation must still be alive there, or its
    # failed mail is scrubbed (a dead link is not sent again).
    clock.set(datetime.now(UTC))
    server = smtp_server(Scripted(["550 5.1.1 No such user"]))
    queue_only = service_factory(None)
    invite(queue_only, 1)
    first = subprocess.run([*CLI, "deliver"], env=cli_env(db, server), capture_output=True,
                           text=True, timeout=60)
    assert first.returncode == 1
    assert "550 5.1.1 No such user" in first.stderr
    assert "sent 0, queued for retry 0, failed 1" in first.stdout
    again = subprocess.run([*CLI, "deliver", "--retry-failed"], env=cli_env(db, server),
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert "queued 1 failed message(s) again" in again.stdout
    assert "sent 1," in again.stdout
    assert len(server.messages) == 1


def test_deliver_command_refuses_a_bad_transport_url(db: Path) -> None:
    env = {**os.environ, "INVITATIONS_DB": str(db), "INVITATIONS_TRANSPORT": "smtp://x?tls=1",
           "INVITATIONS_LANG": "fi"}
    result = subprocess.run([*CLI, "deliver"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1
    assert "Virheellinen asetus" in result.stderr and "tls" in result.stderr
