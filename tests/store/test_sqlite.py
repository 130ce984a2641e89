"""What only the SQLite backend has: a WAL file, a memory database, paths."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from invitations.errors import ConfigurationError
from invitations.store import SQLiteInvitationStore, open_store
from tests.core.helpers import START
from tests.store.test_contract import message, record


def test_a_file_is_in_wal_mode(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    SQLiteInvitationStore(db).close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_memory_store_works() -> None:
    with SQLiteInvitationStore(":memory:") as s:
        s.add(record(), nonce_hash="h", message=message(), now=START)
        assert [i.id for i in s.list_invitations(now=START)] == ["inv-1"]


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        SQLiteInvitationStore(tmp_path / "nope" / "x.db")


@pytest.mark.parametrize("form", ["{path}", "sqlite:///{path}"])
def test_a_path_or_sqlite_url_opens_sqlite(tmp_path: Path, form: str) -> None:
    path = tmp_path / "x.db"
    with open_store(form.format(path=path)) as store:
        assert isinstance(store, SQLiteInvitationStore) and store.path == str(path)
    assert path.exists()
