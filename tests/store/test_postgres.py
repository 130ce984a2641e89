"""What only the PostgreSQL backend has: connection strings and passwords, errors that
name what is wrong, SKIP LOCKED claims, NOTIFY wake-ups, lost connections."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from invitations.clock import FrozenClock
from invitations.delivery import run_workers
from invitations.errors import (
    DatabaseAuthFailed,
    DatabaseMissing,
    DatabaseReadOnly,
    DatabaseUnreachable,
    StoreUnavailable,
)
from invitations.service import InvitationService
from invitations.store import PostgresInvitationStore, is_postgres, open_store
from invitations.store.postgres import redact
from tests.core.helpers import ACME, BOSS, KEY, START, RecordingTransport
from tests.pg import PGServer, free_port
from tests.store.test_contract import message, record

LEASE = timedelta(minutes=5)


@pytest.fixture
def store(pg_url: str) -> Iterator[PostgresInvitationStore]:
    with PostgresInvitationStore(pg_url) as s:
        yield s


def test_which_settings_mean_postgresql() -> None:
    assert is_postgres("postgresql://u@127.0.0.1:5432/db")
    assert is_postgres("postgres://u@127.0.0.1/db")
    assert is_postgres("host=127.0.0.1 port=5432 dbname=invitations")
    assert is_postgres("  dbname=invitations")
    assert not is_postgres("invitations.db")
    assert not is_postgres("sqlite:///var/lib/invitations.db")
    assert not is_postgres("/srv/host=1/invitations.db")


def test_passwords_are_redacted() -> None:
    assert redact("postgresql://app:s3cr%40t@db:5432/x") == "postgresql://app:***@db:5432/x"
    assert redact("host=db password=s3cret dbname=x") == "host=db password=*** dbname=x"
    assert redact("host=db password='a b' dbname=x") == "host=db password=*** dbname=x"
    assert redact("failed for s3cret", "s3cret") == "failed for ***"


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_url_with_password_opens_the_store(pg_server: PGServer, scheme: str) -> None:
    url = pg_server.tcp_url().replace("postgresql://", f"{scheme}://", 1)
    with open_store(url) as s:
        assert isinstance(s, PostgresInvitationStore)
        assert s.where == f"127.0.0.1:{pg_server.port}/invitations"
        assert pg_server.password not in s.where


def test_password_from_pgpassword_and_pgpass(pg_server: PGServer, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    bare = pg_server.tcp_url(password="")
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    with pytest.raises(DatabaseAuthFailed):
        open_store(bare)
    monkeypatch.setenv("PGPASSWORD", pg_server.password)
    open_store(bare).close()
    monkeypatch.delenv("PGPASSWORD")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{pg_server.port}:*:invitations:{pg_server.password}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    open_store(bare).close()


def test_wrong_password_is_named_and_never_printed(pg_server: PGServer) -> None:
    url = pg_server.tcp_url(password="not-the-Password-42")
    with pytest.raises(DatabaseAuthFailed) as caught:
        open_store(url)
    error = caught.value
    assert error.code == "database_auth_failed"
    for lang in ("fi", "sv", "en"):
        assert "not-the-Password-42" not in error.message(lang)
        assert "invitations" in error.message(lang)
    assert "not-the-Password-42" not in str(error.to_dict())
    assert "PGPASSWORD" in error.message("en")


def test_missing_database_is_named(pg_server: PGServer) -> None:
    with pytest.raises(DatabaseMissing) as caught:
        open_store(pg_server.tcp_url(dbname="no_such_db"))
    assert "no_such_db" in caught.value.message("en")
    assert "createdb no_such_db" in caught.value.message("fi")


def test_unreachable_server_names_host_and_port() -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(DatabaseUnreachable) as caught:
        open_store(f"postgresql://app:secret@127.0.0.1:{port}/x")
    text = caught.value.message("en")
    assert f"127.0.0.1:{port}" in text and "Connection refused" in text
    assert "secret" not in text and caught.value.retryable


def test_cli_on_an_unreachable_server_exits_1_without_a_traceback() -> None:
    port = free_port()
    env = {**os.environ, "INVITATIONS_DB": f"postgresql://app:hunter2@127.0.0.1:{port}/x"}
    command = [str(Path(sys.executable).parent / "invitations"), "db", "upgrade"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert f"error [database_unreachable]: Cannot connect to the PostgreSQL server at " \
           f"127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr and "hunter2" not in done.stderr + done.stdout


def test_read_only_server_is_refused(pg_server: PGServer) -> None:
    name = pg_server.new_database()
    with psycopg.connect(pg_server.admin_url(), autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
    with pytest.raises(DatabaseReadOnly) as caught:
        open_store(pg_server.database_url(name))
    assert "read-only" in caught.value.message("en")
    assert "target_session_attrs=read-write" in caught.value.message("sv")


def test_claims_skip_rows_another_claimer_has_locked(store: PostgresInvitationStore,
                                                     pg_url: str) -> None:
    for n in (1, 2, 3):
        store.add(record(n), nonce_hash="h", message=message(n), now=START)
    with psycopg.connect(pg_url) as other:  # a worker on another host, mid-claim
        other.execute("SELECT id FROM outbox WHERE id = 1 FOR UPDATE")
        started = time.monotonic()
        got = store.claim_due(owner="a", now=START, lease=LEASE)
        assert [r.id for r in got] == [2, 3]  # not blocked by row 1, and not taking it
        assert time.monotonic() - started < 5
    assert [r.id for r in store.claim_due(owner="b", now=START, lease=LEASE)] == [1]


def test_the_claim_can_use_the_index_of_queued_rows(store: PostgresInvitationStore,
                                                    pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        conn.execute("SET enable_seqscan = off")
        plan = "\n".join(r[0] for r in conn.execute(
            "EXPLAIN SELECT id FROM outbox WHERE state = 'queued' AND next_attempt_at <= now() "
            "AND (lease_until IS NULL OR lease_until < now()) ORDER BY id LIMIT 20 "
            "FOR UPDATE SKIP LOCKED"))
    assert "outbox_queued" in plan, plan


def test_queued_mail_wakes_a_waiting_worker(store: PostgresInvitationStore,
                                            pg_url: str) -> None:
    mark = store.mark()
    assert not store.wait_for_mail(mark, 0.3)  # nothing queued: the timeout
    with PostgresInvitationStore(pg_url) as web:  # another process or host
        woke: list[bool] = []
        waiter = threading.Thread(target=lambda: woke.append(store.wait_for_mail(mark, 60)))
        waiter.start()
        started = time.monotonic()
        web.add(record(), nonce_hash="h", message=message(), now=START)
        waiter.join(30)
    assert woke == [True] and time.monotonic() - started < 10


def test_an_idle_watch_worker_sends_new_mail_at_once(pg_url: str) -> None:
    transport = RecordingTransport()
    sent = threading.Event()
    stop = threading.Event()
    with PostgresInvitationStore(pg_url) as worker_store, \
            PostgresInvitationStore(pg_url) as web_store:
        thread = threading.Thread(target=run_workers, args=(worker_store, lambda: transport),
                                  kwargs={"clock": FrozenClock(START), "watch": True,
                                          "interval": 3600.0, "stop": stop,
                                          "on_report": lambda report: sent.set()})
        thread.start()
        try:
            assert worker_store._listening.wait(30)
            web_store.add(record(), nonce_hash="h", message=message(), now=START)
            # An hour-long polling interval: only the notification can deliver this.
            assert sent.wait(30)
        finally:
            stop.set()
            thread.join(30)
    assert [m.message_id for m in transport.sent] == ["<m1@posti.fi>"]


def test_connection_lost_mid_transaction_is_retryable_and_writes_nothing(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = PostgresInvitationStore(pg_url)
    service = InvitationService([KEY], "http://127.0.0.1:8000/", None, store=store,
                                clock=FrozenClock(START), close_store=True)
    with service:
        def cut(conn: psycopg.Connection[object]) -> None:
            # Both rows are inserted; the server goes away before the commit.
            conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")

        monkeypatch.setattr(store, "_mail_queued", cut)
        with pytest.raises(StoreUnavailable) as caught:
            service.send_invite("matti@acme.fi", company=ACME, invited_by=BOSS, deliver=False)
        assert caught.value.retryable and caught.value.code == "store_unavailable"
        assert "nothing was saved" in caught.value.message("en")
        monkeypatch.undo()
        assert service.list() == [] and store.outbox() == []
        # The pool replaced the broken connection: the retry simply works.
        invitation = service.send_invite("matti@acme.fi", company=ACME, invited_by=BOSS,
                                         deliver=False)
        assert [r.invitation_id for r in store.outbox()] == [invitation.id]
