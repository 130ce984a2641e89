"""Fixtures for the security regression tests (issue 12): the registration pages served
by uvicorn on a loopback port, the service behind them; real Chromium is the suite's ``browser``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.scenario_support import Site, registration_site
from tests.pg import pg_server, pg_url  # noqa: F401  (fixtures for ``backend``)
from tests.store.conftest import backend  # noqa: F401  (SQLite and PostgreSQL, as in tests/store)

# ``browser`` (real Chromium) comes from tests/conftest.py, shared with tests/browser.


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """The registration pages under uvicorn on 127.0.0.1, mail in memory, clock frozen."""
    with registration_site(tmp_path) as running:
        yield running
