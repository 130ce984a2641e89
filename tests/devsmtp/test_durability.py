"""Durable before 250: the WAL sync comes after the commit and before the reply.

The store commits on the event loop without waiting for the disk and has
sync threads ``fdatasync`` the WAL; these tests hold that sync (a gate in
place of ``os.fdatasync``) to see that no reply, push or wait result leaves
before it, that a sync covers only commits made before it began, and that
checkpoints keep the WAL from growing while messages keep coming.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from devsmtp import DevSMTP
from devsmtp.store import durable
from devsmtp.store.durable import WalFlusher

from .conftest import make_message


class Gate:
    """Stands in for ``os.fdatasync``: records each call and holds it until opened."""

    def __init__(self) -> None:
        self.real = os.fdatasync
        self.calls = 0
        self.called = threading.Condition()
        self.opened = threading.Event()
        self.seen: list[int] = []  # messages committed when each sync began
        self.count: Callable[[], int] = lambda: 0

    def __call__(self, fd: int) -> None:
        with self.called:
            self.calls += 1
            self.seen.append(self.count())
            self.called.notify_all()
        assert self.opened.wait(30), "the test never opened the gate"
        self.real(fd)

    def wait_calls(self, n: int) -> bool:
        with self.called:
            return self.called.wait_for(lambda: self.calls >= n, 10)


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    gate = Gate()
    monkeypatch.setattr(os, "fdatasync", gate)
    yield gate
    gate.opened.set()


class Session:
    """One SMTP session over a raw socket, stopped just before DATA's final reply."""

    def __init__(self, port: int, raw: bytes) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.reader = self.sock.makefile("rb")
        assert self.reply().startswith(b"220")
        for command, code in ((b"EHLO t", b"250"), (b"MAIL FROM:<a@example.com>", b"250"),
                              (b"RCPT TO:<b@example.com>", b"250"), (b"DATA", b"354")):
            self.sock.sendall(command + b"\r\n")
            assert self.reply().startswith(code)
        self.sock.sendall(raw + b".\r\n")

    def reply(self) -> bytes:
        while (line := self.reader.readline())[3:4] == b"-":
            pass
        return line

    def nothing_received(self) -> bool:
        """Whether no byte of a reply has arrived (checked without blocking)."""
        self.sock.setblocking(False)
        try:
            return not self.sock.recv(1, socket.MSG_PEEK)
        except BlockingIOError:
            return True
        finally:
            self.sock.setblocking(True)

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


def rows_on_disk(path: Path) -> int:
    """Messages committed to the database file, whatever the store shows."""
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM messages").fetchone()[0])


def test_250_waits_for_the_wal_sync_that_follows_the_commit(tmp_path: Path, gate: Gate) -> None:
    with DevSMTP(tmp_path) as server:
        gate.count = lambda: rows_on_disk(server.store.path)
        session = Session(server.smtp_port, make_message(subject="held"))
        assert gate.wait_calls(1)
        # The sync began after the commit, yet no reply went out and nothing
        # shows the message: not the reads, not the newest id.
        assert gate.seen[0] == 1
        assert session.nothing_received()
        assert server.store.count() == 0
        assert server.store.list().messages == []
        assert server.store.latest == 0
        gate.opened.set()
        assert session.reply().startswith(b"250")
        assert server.store.count() == 1
        assert [m.summary.subject for m in server.store.list().messages] == ["held"]
        session.close()


def test_without_fsync_nothing_is_synced_per_message(tmp_path: Path, gate: Gate) -> None:
    with DevSMTP(tmp_path, fsync=False) as server:
        session = Session(server.smtp_port, make_message(subject="fast"))
        assert session.reply().startswith(b"250")
        session.close()
        assert gate.calls == 0
        assert server.store.count() == 1


def test_a_sync_covers_only_commits_made_before_it_began(tmp_path: Path, gate: Gate) -> None:
    loop = asyncio.new_event_loop()
    wal = tmp_path / "messages.sqlite3-wal"
    wal.write_bytes(b"x")
    delivered: list[int] = []
    flusher = WalFlusher(wal, loop, threads=2)
    try:
        flusher.submit(lambda error: delivered.append(1))
        assert gate.wait_calls(1)  # thread 1 syncs commit 1 and is held
        flusher.submit(lambda error: delivered.append(2))
        assert gate.wait_calls(2)  # thread 2 starts at once for commit 2, held too
        flusher.submit(lambda error: delivered.append(3))  # waits for a free thread
        gate.opened.set()

        async def until_all() -> None:
            for _ in range(1000):  # bounded: 10 s
                if len(delivered) == 3:
                    return
                await asyncio.sleep(0.01)

        loop.run_until_complete(until_all())
        assert delivered == [1, 2, 3]  # in order, each after a sync begun after it
        assert gate.calls == 3
    finally:
        flusher.close()
        loop.close()


@pytest.mark.parametrize("fsync", [True, False])
def test_checkpoints_keep_the_wal_short_under_steady_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fsync: bool
) -> None:
    monkeypatch.setattr(durable, "CHECKPOINT_BYTES", 128 * 1024)
    body = "Rivi: Kutsu käyttäjäksi / Inbjudan / Invitation " + "x" * 3000 + "\n"
    raw = make_message(subject="load", body=body)
    with DevSMTP(tmp_path, max_messages=100_000, fsync=fsync) as server:
        wal = server.store.path.with_name(server.store.path.name + "-wal")

        def client(n: int) -> int:
            import smtplib

            with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=60) as smtp:
                for _ in range(60):
                    smtp.sendmail("a@example.com", ["b@example.com"], raw)
            return 60

        with ThreadPoolExecutor(max_workers=8) as pool:
            sent = sum(pool.map(client, range(8)))
        assert server.store.count() == sent == 480
        # The WAL header counts the times the file started over from its beginning
        # (each after a complete checkpoint); without that it grows by every commit.
        restarts = int.from_bytes(wal.read_bytes()[12:16], "big")
        assert restarts >= 3, restarts


def test_a_long_delete_leaves_the_loop_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from devsmtp.store import store as store_module

    started, release = threading.Event(), threading.Event()
    real_delete = store_module.delete_ids

    def slow_delete(conn: sqlite3.Connection, ids: list[int]) -> tuple[int, ...]:
        started.set()
        assert release.wait(30), "the test never released the delete"
        return real_delete(conn, ids)

    monkeypatch.setattr(store_module, "delete_ids", slow_delete)
    with DevSMTP(tmp_path) as server:
        import smtplib

        with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as smtp:
            smtp.sendmail("a@example.com", ["b@example.com"], make_message(subject="old"))
        deleting = ThreadPoolExecutor(max_workers=1)
        deleted = deleting.submit(httpx.delete, f"{server.api_url}/messages", timeout=30)
        assert started.wait(10)
        # The delete holds the write connection on a worker thread: SMTP and HTTP
        # still answer, and a message that arrives now waits for its commit.
        assert httpx.get(f"{server.api_url}/info", timeout=10).status_code == 200
        session = Session(server.smtp_port, make_message(subject="new"))
        deadline = time.monotonic() + 10
        while not server.store._pending and time.monotonic() < deadline:
            time.sleep(0.01)  # polling a condition, bounded
        assert server.store._pending and session.nothing_received()
        release.set()
        assert session.reply().startswith(b"250")
        session.close()
        assert deleted.result(30).json() == {"deleted": 1}
        deleting.shutdown()
        assert [m.summary.subject for m in server.store.list().messages] == ["new"]
