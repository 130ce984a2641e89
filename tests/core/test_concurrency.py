"""Single use under concurrency: threads and separate processes on one SQLite file."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

from invitations.errors import InvitationUsed
from invitations.models import InvitationStatus
from invitations.service import InvitationService
from invitations.store import SQLiteInvitationStore
from tests.core.helpers import ACME, BOSS, KEY, START, STRONG, registration, token_of


def _race(workers: list[Callable[[], object]]) -> list[object]:
    barrier = threading.Barrier(len(workers))
    outcomes: list[object] = [None] * len(workers)

    def run(index: int) -> None:
        barrier.wait(timeout=10)
        try:
            outcomes[index] = workers[index]()
        except Exception as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def test_threads_sharing_one_service(service: InvitationService) -> None:
    token = token_of(service.send_invite("matti@acme.fi", company=ACME, invited_by=BOSS).link
                     or "")
    outcomes = _race([lambda: service.redeem(token, registration()) for _ in range(8)])
    wins = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(wins) == 1
    assert all(isinstance(o, InvitationUsed) for o in outcomes if o not in wins)


def test_threads_with_separate_stores_on_one_file(
    make_service: Callable[..., InvitationService], db_path: Path
) -> None:
    services = [make_service(store=SQLiteInvitationStore(db_path), close_store=True)
                for _ in range(6)]
    token = token_of(services[0].send_invite("matti@acme.fi", company=ACME,
                                             invited_by=BOSS).link or "")
    outcomes = _race([lambda s=s: s.redeem(token, registration())  # type: ignore[misc]
                      for s in services])
    assert sum(not isinstance(o, Exception) for o in outcomes) == 1
    assert all(isinstance(o, InvitationUsed) for o in outcomes if isinstance(o, Exception))


_CHILD = textwrap.dedent(
    """
    import sys
    from datetime import datetime
    from invitations.clock import FrozenClock
    from invitations.errors import InvitationError
    from invitations.models import Registration
    from invitations.service import InvitationService
    from invitations.store import SQLiteInvitationStore

    db, key, start, token, password = sys.argv[1:6]
    service = InvitationService([key], "http://127.0.0.1:8000", None,
                                store=SQLiteInvitationStore(db),
                                clock=FrozenClock(datetime.fromisoformat(start)))
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":  # blocks until the parent starts the race
        sys.exit("no go signal")
    try:
        service.redeem(token, Registration("Matti", "Meikäläinen", "matti@acme.fi", "",
                                           password))
        print("won", flush=True)
    except InvitationError as exc:
        print(exc.code, flush=True)
    """
)


def test_processes_on_one_file(service: InvitationService, db_path: Path,
                               tmp_path: Path) -> None:
    token = token_of(service.send_invite("matti@acme.fi", company=ACME, invited_by=BOSS).link
                     or "")
    script = tmp_path / "child.py"
    script.write_text(_CHILD, encoding="utf-8")
    args = [str(db_path), KEY, START.isoformat(), token, STRONG]
    children = [
        subprocess.Popen([sys.executable, str(script), *args], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    try:
        for child in children:  # every child has opened the store before the race
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready"
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        results = []
        for child in children:
            out, err = child.communicate(timeout=60)
            assert child.returncode == 0, err
            results.append(out.strip())
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait(10)
    assert sorted(results) == ["invitation_used"] * 3 + ["won"]
    assert service.list()[0].status is InvitationStatus.ACCEPTED


def test_forked_children_reuse_the_service_safely(service: InvitationService) -> None:
    import multiprocessing

    token = token_of(service.send_invite("matti@acme.fi", company=ACME, invited_by=BOSS).link
                     or "")
    service.verify(token)  # the parent has an open SQLite connection before the fork
    queue: multiprocessing.Queue[str] = multiprocessing.get_context("fork").Queue()

    def child() -> None:
        try:
            service.redeem(token, registration())
            queue.put("won")
        except InvitationUsed as exc:
            queue.put(exc.code)

    ctx = multiprocessing.get_context("fork")
    children = [ctx.Process(target=child) for _ in range(3)]
    for process in children:
        process.start()
    results = sorted(queue.get(timeout=60) for _ in children)
    for process in children:
        process.join(timeout=30)
        assert process.exitcode == 0
    assert results == ["invitation_used", "invitation_used", "won"]
