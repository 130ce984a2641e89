"""A database that goes away: workers wait it out with backoff and lose nothing;
psycopg stays out of ``import invitations`` and out of every module but one."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from typing import Any

import grimp

from invitations.clock import FrozenClock
from invitations.delivery import run_workers
from invitations.errors import StoreUnavailable
from invitations.store.base import SQLStore
from tests.core.helpers import START, RecordingTransport
from tests.store.conftest import Backend
from tests.store.test_contract import message, record


class Flaky:
    """A store whose named methods fail ``times`` times first, like a restarting server."""

    def __init__(self, store: SQLStore, times: dict[str, int]) -> None:
        self._store, self.left = store, dict(times)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._store, name)
        if name not in self.left:
            return method

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.left[name] > 0:
                self.left[name] -= 1
                raise StoreUnavailable("db:5432/x", "server closed the connection")
            return method(*args, **kwargs)

        return call


def test_workers_back_off_and_resume_without_sending_twice(backend: Backend) -> None:
    with backend.open() as store:
        for n in (1, 2, 3):
            store.add(record(n), nonce_hash="h", message=message(n), now=START)
        flaky = Flaky(store, {"claim_due": 2, "record_result": 2})
        transport = RecordingTransport()
        report = run_workers(flaky, lambda: transport,
                             clock=FrozenClock(START), lease=timedelta(minutes=5))
        assert flaky.left == {"claim_due": 0, "record_result": 0}
        assert report.sent == 3
        # The result that could not be written at first was written on retry: no resend.
        assert sorted(m.message_id for m in transport.sent) == [
            "<m1@posti.fi>", "<m2@posti.fi>", "<m3@posti.fi>"]
        assert {str(r.state) for r in store.outbox()} == {"sent"}


def test_importing_the_toolkit_or_sqlite_loads_no_psycopg() -> None:
    code = ("import sys, invitations, invitations.store, invitations.config\n"
            "from invitations.store import open_store\n"
            "open_store(':memory:').close()\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0].startswith('psycopg')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_only_the_postgres_module_imports_psycopg() -> None:
    graph = grimp.build_graph("invitations", include_external_packages=True)
    importers = {m for pkg in ("psycopg", "psycopg_pool")
                 for m in graph.find_modules_that_directly_import(pkg)}
    assert importers == {"invitations.store.postgres"}
