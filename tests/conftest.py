"""Fixtures every test directory may use: Playwright driving Debian's headless Chromium.

Session-scoped, and defined once here for the whole suite: Playwright's sync API
allows one running instance per thread, so ``tests/browser`` and ``tests/security``
must share this one. Playwright never downloads a browser here; it launches
``/usr/bin/chromium`` (override with ``CHROMIUM``). A missing browser is a failure, not
a skip: ``make test`` installs the Debian package first.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail(
            f"Chromium not found at {path}: install Debian's package "
            "(apt-get install chromium) or set CHROMIUM=/path/to/chromium"
        )
    return path


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()
