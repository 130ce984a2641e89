"""Real-browser fixtures: a fresh Finnish context and page on the suite's headless
Chromium (``browser``, from ``tests/conftest.py``), and a folder for screenshots."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="fi-FI", viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Directory where a test saves its step-by-step screenshots (test artefacts)."""
    directory = tmp_path / "screenshots"
    directory.mkdir()
    return directory
