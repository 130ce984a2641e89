"""Fixtures of the bounce tests: stores on both backends, as in tests/store."""

from __future__ import annotations

from tests.pg import pg_server, pg_url  # noqa: F401  (fixtures for ``backend``)
from tests.store.conftest import backend, store  # noqa: F401  (SQLite and PostgreSQL)
