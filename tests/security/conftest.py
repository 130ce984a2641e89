"""Fixtures for the security regression tests (issue 12): the registration pages served
by uvicorn on a loopback port, the service behind them, and real Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import browser, playwright
from tests.browser.scenario_support import Site, registration_site

__all__ = ["browser", "playwright", "site"]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """The registration pages under uvicorn on 127.0.0.1, mail in memory, clock frozen."""
    with registration_site(tmp_path) as running:
        yield running
