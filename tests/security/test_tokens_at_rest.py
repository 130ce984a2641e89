"""Issue 12, item 6: no live token at rest.

The outbox used to keep the full bytes of delivered mail, so a read-only copy of
the database yielded working links. Delivered mail is now scrubbed to a few
headers, a failed mail keeps its bytes only while its link is alive, and the
SQLite files are private (0600, in a 0700 directory the toolkit creates).
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from invitations.clock import FrozenClock
from invitations.models import DeliveryState, SendResult, SendStatus
from invitations.service import InvitationService
from invitations.store import open_store
from invitations.store.outbox import SCRUBBED
from invitations.store.sqlite import SQLiteInvitationStore
from invitations.transports.file import FileTransport
from tests.core.helpers import ACME, BOSS, KEY, START, RecordingTransport, link_in, token_of
from tests.store.conftest import Backend


@pytest.fixture
def transport() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def service(backend: Backend, transport: RecordingTransport,
            clock: FrozenClock) -> Iterator[InvitationService]:
    store = open_store(backend.url)
    yield InvitationService([KEY], "http://127.0.0.1:8000/", transport, store=store, clock=clock)
    store.close()


def invite(service: InvitationService, n: int) -> str:
    return service.send_invite(f"user{n}@acme.fi", company=ACME, invited_by=BOSS,
                               first_name="Anna", last_name="Virtanen").id


def fragments(secret: str, size: int = 16) -> list[bytes]:
    """Overlapping pieces of ``secret``: one survives any soft line break (QP, base64 HTML
    is checked separately by the stored data holding no body at all)."""
    data = secret.encode()
    return [data[i:i + size] for i in range(0, max(1, len(data) - size + 1), size // 2)]


def at_rest(backend: Backend) -> bytes:
    """Every byte an attacker with a copy of the database gets."""
    if backend.name == "sqlite":
        path = Path(backend.url.removeprefix("sqlite:///"))
        return b"".join(Path(f"{path}{suffix}").read_bytes()
                        for suffix in ("", "-wal", "-shm") if Path(f"{path}{suffix}").exists())
    rows = backend.execute("SELECT o::text FROM outbox AS o")
    rows += backend.execute("SELECT i::text FROM invitations AS i")
    return "\n".join(str(r[0]) for r in rows).encode() + b"\n" + b"".join(
        bytes(r[0]) for r in backend.execute("SELECT data FROM outbox"))


def test_delivered_mail_leaves_no_token_at_rest(
    service: InvitationService, transport: RecordingTransport, backend: Backend
) -> None:
    ids = [invite(service, n) for n in range(3)]
    assert len(transport.sent) == 3
    raw = at_rest(backend)
    for message in transport.sent:
        link = link_in(message.data)
        for piece in fragments(token_of(link)):
            assert piece not in raw, f"a piece of a delivered token is at rest: {piece!r}"
        assert link.encode() not in raw
    for row in service.store.outbox():
        assert row.state is DeliveryState.SENT and row.data.startswith(SCRUBBED)
        assert b"text/html" not in row.data and b"token=" not in row.data
        kept = row.data.decode()
        assert f"Message-ID: {row.message_id}" in kept
        assert "To: " in kept and "Subject: " in kept and "Date: " in kept
    assert {r.invitation_id for r in service.store.outbox()} == set(ids)


def test_failed_mail_keeps_its_bytes_only_while_the_link_lives(
    service: InvitationService, transport: RecordingTransport, backend: Backend,
    clock: FrozenClock,
) -> None:
    transport.script = [SendResult(SendStatus.PERMANENT_FAILURE, 550, "5.1.1 no such user")] * 2
    revoked, expiring = invite(service, 1), invite(service, 2)
    rows = {r.invitation_id: r for r in service.store.outbox()}
    assert {r.state for r in rows.values()} == {DeliveryState.FAILED}
    assert b"token=" in rows[revoked].data  # still needed for a retry

    service.revoke(revoked, by=BOSS)
    [row] = service.store.outbox(invitation_id=revoked)
    assert row.data.startswith(SCRUBBED) and b"token=" not in row.data

    clock.advance(timedelta(days=60))  # past every expiry
    assert service.store.requeue_failed(now=clock.now()) == 0  # a dead link is not resent
    [row] = service.store.outbox(invitation_id=expiring)
    assert row.state is DeliveryState.FAILED and row.data.startswith(SCRUBBED)
    assert b"token=" not in at_rest(backend)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_and_its_wal_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = tmp_path / "invitations.db"
        store = SQLiteInvitationStore(path)
        with store._write() as conn:  # a write: the -wal and -shm files exist
            conn.execute("SELECT 1")
        for suffix in ("", "-wal", "-shm"):
            assert _mode(Path(f"{path}{suffix}")) == 0o600, suffix
        store.close()
    finally:
        os.umask(old)


def test_an_existing_readable_database_is_kept_and_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "invitations.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="invitations.store.sqlite"):
        SQLiteInvitationStore(path).close()
    assert _mode(path) == 0o644  # the operator's file: not changed behind their back
    assert "chmod 600" in caplog.text


def test_a_mail_directory_the_toolkit_creates_is_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        target = tmp_path / "mail"
        FileTransport(target).open()
        assert _mode(target) == 0o700
        existing = tmp_path / "shared"
        existing.mkdir(mode=0o755)
        FileTransport(existing).open()
        assert _mode(existing) == 0o755  # an operator's directory is left alone
    finally:
        os.umask(old)
