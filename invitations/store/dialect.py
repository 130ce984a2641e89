"""What differs between the SQL backends, in one place: placeholders, how a time
and a list of values travel, the column that keeps insertion order, and the
column types of the schema.

Every statement is written once with ``:name`` placeholders (SQLite's own
style); :meth:`Dialect.sql` turns it into psycopg's ``%(name)s`` once per text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["POSTGRES", "SQLITE", "Dialect"]

_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def encode_text_time(value: datetime) -> str:
    # One fixed-width UTC format, so that text comparison in SQL is time order.
    # (isoformat with fixed microseconds is that format, and faster than strftime.)
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _same_time(value: datetime) -> datetime:
    return value


def _decode_text_time(value: Any) -> datetime:
    return datetime.fromisoformat(value)


def _decode_native_time(value: Any) -> datetime:
    assert isinstance(value, datetime)
    return value


@dataclass(frozen=True)
class Dialect:
    """One backend's spelling of the shared statements."""

    name: str
    #: ``datetime`` -> the value stored (SQLite: sortable text; PostgreSQL: timestamptz).
    encode_time: Callable[[datetime], object]
    #: A stored time back to an aware ``datetime``.
    decode_time: Callable[[Any], datetime]
    #: The invitations column that gives insertion order (``ORDER BY created_at, ...``).
    insertion_order: str
    #: Column types of the schema text (``{time}``, ``{blob}``, ``{row_id}``, ``{seq}``).
    types: dict[str, str]
    #: ``True``: ``:name`` placeholders become ``%(name)s``.
    pyformat: bool = False
    _cache: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def sql(self, text: str) -> str:
        """``text`` with this backend's placeholders (converted once, then cached)."""
        if not self.pyformat:
            return text
        converted = self._cache.get(text)
        if converted is None:
            converted = self._cache[text] = _NAMED.sub(r"%(\1)s", text)
        return converted

    def ddl(self, text: str) -> str:
        """A schema statement with this backend's column types."""
        return text.format(**self.types)

    def one_of(self, column: str, name: str, values: Sequence[object],
               params: dict[str, object]) -> str:
        """``column`` is one of ``values`` (added to ``params`` under ``name``)."""
        if self.pyformat:  # one array parameter: one statement text for any count
            params[name] = list(values)
            return f"{column} = ANY(:{name})"
        marks = []
        for index, value in enumerate(values):
            params[f"{name}{index}"] = value
            marks.append(f":{name}{index}")
        return f"{column} IN ({', '.join(marks)})"

    def decode_optional_time(self, value: Any) -> datetime | None:
        return None if value is None else self.decode_time(value)


SQLITE = Dialect(
    name="sqlite",
    encode_time=encode_text_time,
    decode_time=_decode_text_time,
    insertion_order="i.rowid",
    types={"time": "TEXT", "blob": "BLOB",
           "row_id": "INTEGER PRIMARY KEY AUTOINCREMENT", "seq": "",
           # A table rebuild keeps its ids (AUTOINCREMENT follows the largest one).
           "keep_ids": "", "restart_outbox_ids": "SELECT 1"},
)

POSTGRES = Dialect(
    name="postgresql",
    encode_time=_same_time,
    decode_time=_decode_native_time,
    insertion_order="i.seq",
    types={"time": "TIMESTAMPTZ", "blob": "BYTEA",
           "row_id": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
           "seq": "seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,",
           # A table rebuild keeps its ids and restarts the identity after them.
           "keep_ids": "OVERRIDING SYSTEM VALUE",
           "restart_outbox_ids": "SELECT setval(pg_get_serial_sequence('outbox', 'id'), "
                                 "COALESCE((SELECT MAX(id) FROM outbox), 0) + 1, false)"},
    pyformat=True,
)
