"""Fixtures of the store tests: every store test runs on both backends.

``backend`` is parametrised ``sqlite`` / ``postgresql``: a SQLite file in the test's
temporary directory, or a fresh schema on the throw-away PostgreSQL server of
this pytest process (:mod:`tests.pg`; started on first use, stopped at the end).
If PostgreSQL cannot be started the PostgreSQL tests fail with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from invitations.store import open_store
from invitations.store.base import SQLStore
from tests.pg import pg_server, pg_url  # noqa: F401  (fixtures)


@dataclass
class Backend:
    """One backend under test: how to open a store on it and look under the hood."""

    name: str
    url: str
    #: What a broken constraint raises (the Message-ID is unique).
    integrity_error: type[Exception]
    execute: Callable[[str], list[tuple[Any, ...]]]

    def open(self, **options: Any) -> SQLStore:
        return open_store(self.url, **options)


def _sqlite(path: Path) -> Backend:
    import sqlite3

    def execute(sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(path) as conn:
            return [tuple(r) for r in conn.execute(sql).fetchall()]

    return Backend("sqlite", f"sqlite:///{path}", sqlite3.IntegrityError, execute)


def _postgres(url: str) -> Backend:
    def execute(sql: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(url, autocommit=True) as conn:
            cur = conn.execute(sql)
            return [tuple(r) for r in cur.fetchall()] if cur.description else []

    return Backend("postgresql", url, psycopg.IntegrityError, execute)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "sqlite":
        return _sqlite(tmp_path / "invitations.db")
    return _postgres(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(backend: Backend) -> Iterator[SQLStore]:
    with backend.open() as s:
        yield s
