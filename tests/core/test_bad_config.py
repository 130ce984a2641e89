"""Configuration mistakes are refused at start-up with what to do, not a traceback later."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from invitations import InvitationService, SQLiteInvitationStore
from invitations.errors import ConfigurationError, HeaderInjection
from invitations.transports import transport_from_url
from invitations.validation import check_text
from tests.core.helpers import KEY


def test_a_directory_is_not_a_database(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="is a directory; set INVITATIONS_DB"):
        SQLiteInvitationStore(tmp_path)


def test_a_file_that_is_not_sqlite_is_named(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(ConfigurationError, match=r"cannot use .*junk\.db.*move this one aside"):
        SQLiteInvitationStore(junk)
    assert junk.read_bytes() == b"not a database at all" * 100  # left as it was


def test_a_database_missing_a_table_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "invitations.db"
    SQLiteInvitationStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE outbox")
    with pytest.raises(ConfigurationError, match=r"damaged: table\(s\) outbox missing"):
        SQLiteInvitationStore(path)


def test_an_unparsable_transport_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"not a valid URL .*smtp://host:587"):
        transport_from_url("smtp://[::1:25")


@pytest.mark.parametrize("field", ["validity", "confirmation_validity"])
@pytest.mark.parametrize("value", [timedelta(0), timedelta(days=-1)])
def test_validity_must_be_positive(field: str, value: timedelta) -> None:
    with pytest.raises(ConfigurationError, match=f"{field} must be positive"):
        InvitationService([KEY], "http://127.0.0.1:8000", None, **{field: value})


@pytest.mark.parametrize("brk", ["\r", "\n", "\x85", "\u2028", "\u2029"])
def test_every_line_break_is_refused_in_the_field_the_user_filled(brk: str) -> None:
    with pytest.raises(HeaderInjection) as caught:
        check_text("first_name", f"Anna{brk}Bcc: x@evil.example", limit=100)
    assert caught.value.params["field"] == "first_name"


def test_a_missing_ca_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"cafile .*nope\.pem is not a readable file"):
        transport_from_url(f"smtps://127.0.0.1:465?cafile={tmp_path}/nope.pem")


def test_file_transport_needs_a_directory(tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("x")
    with pytest.raises(ConfigurationError, match="is a file, not a directory"):
        transport_from_url(f"file://{target}")


def test_a_registration_of_the_wrong_types_is_invalid_input() -> None:
    from invitations.errors import InvalidInput
    from invitations.models import Registration
    from invitations.registration import validate_registration

    with pytest.raises(InvalidInput) as not_one:
        validate_registration(None)  # type: ignore[arg-type]
    assert not_one.value.params["field"] == "registration"
    with pytest.raises(InvalidInput) as numbers:
        validate_registration(Registration(1, 2, 3, 4, 5))  # type: ignore[arg-type]
    assert numbers.value.params["field"] == "first_name"
