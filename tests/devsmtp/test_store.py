"""Durability and limits: restart, pruning (sparing waiters), heavy concurrency."""

from __future__ import annotations

import smtplib
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from devsmtp import DevSMTP, Query
from devsmtp.errors import DataDirLocked

from .conftest import make_message, send


def test_restart_keeps_messages(tmp_path: Path) -> None:
    raws = [make_message(subject=f"keep {n}") for n in range(3)]
    with DevSMTP(tmp_path) as server:
        for raw in raws:
            send(server, raw, to=["keep@example.com"])
    with DevSMTP(tmp_path) as server:
        messages = server.store.list().messages
        assert [m.summary.subject for m in messages] == ["keep 2", "keep 1", "keep 0"]
        assert [server.store.raw(m.id) for m in reversed(messages)] == raws
        send(server, make_message(), to=["keep@example.com"])
        assert server.store.list().messages[0].id == 4  # ids keep growing


def test_second_server_on_same_directory_is_refused(tmp_path: Path) -> None:
    with DevSMTP(tmp_path), pytest.raises(DataDirLocked):
        DevSMTP(tmp_path).start()


def test_prunes_oldest_over_max_messages(tmp_path: Path) -> None:
    with DevSMTP(tmp_path, max_messages=5) as server:
        for n in range(8):
            send(server, make_message(subject=str(n)))
        assert [m.summary.subject for m in server.store.list().messages] == list("76543")


def test_prunes_by_age(tmp_path: Path) -> None:
    with DevSMTP(tmp_path, max_age=0.5) as server:
        send(server, make_message())
        # Woken by each commit; the writer prunes by age about once a second.
        assert server.store.wait_until(lambda: server.store.count() == 0, timeout=10)


def test_a_waited_for_message_is_not_pruned(tmp_path: Path) -> None:
    with DevSMTP(tmp_path, max_messages=2) as server:
        result: list[httpx.Response] = []
        waiting = threading.Thread(target=lambda: result.append(httpx.get(
            f"{server.api_url}/wait", params={"to": "keep@example.com", "timeout": 10})))
        waiting.start()
        assert server.store.wait_until(lambda: server.store.waiting == 1)
        send(server, make_message(), to=["keep@example.com"])
        waiting.join()
        (found,) = result[0].json()["messages"]
        for _ in range(5):  # would push the waited-for message out
            send(server, make_message(), to=["other@example.com"])
        assert server.store.get(found["id"]) is not None
        # The limit still holds: the pinned message plus the newest other one.
        assert server.store.count() == 2
        assert server.store.count(Query(to="other@example.com")) == 1


def test_200_concurrent_clients_20_messages_each(tmp_path: Path) -> None:
    clients, per_client = 200, 20
    with DevSMTP(tmp_path) as server:
        barrier = threading.Barrier(clients, timeout=60)

        def client(n: int) -> int:
            with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=60) as smtp:
                barrier.wait()
                for m in range(per_client):
                    raw = make_message(subject=f"c{n} m{m}", to=f"c{n}@load.example")
                    smtp.sendmail("load@example.com", [f"c{n}@load.example"], raw)
            return per_client

        with ThreadPoolExecutor(max_workers=clients) as pool:
            sent = sum(pool.map(client, range(clients)))
        assert sent == clients * per_client
        assert server.store.count() == clients * per_client
        for n in (0, 99, 199):
            subjects = {m.summary.subject for m in
                        server.store.list(Query(to=f"c{n}@load.example"), limit=100).messages}
            assert subjects == {f"c{n} m{m}" for m in range(per_client)}
