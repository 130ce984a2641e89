"""The registration form's rules, independent of any invitation."""

from __future__ import annotations

import pytest

from invitations.errors import RegistrationRejected
from invitations.models import Registration
from invitations.registration import validate_registration
from tests.core.helpers import STRONG


def reg(**kw: str) -> Registration:
    values = {"first_name": "Åsa", "last_name": "Öberg-Mäkinen", "email": "asa@acme.fi",
              "username": "", "password": STRONG}
    values.update(kw)
    return Registration(**values)


def fields(registration: Registration) -> dict[str, list[str]]:
    with pytest.raises(RegistrationRejected) as info:
        validate_registration(registration)
    found: dict[str, list[str]] = {}
    for error in info.value.errors:
        found.setdefault(error.field, []).append(error.code)
    return found


def test_valid_registration_is_cleaned() -> None:
    details = validate_registration(reg(first_name="  Åsa  Maria ", email="Asa@ACME.fi"))
    assert details.first_name == "Åsa Maria"
    assert details.email == "Asa@acme.fi"
    assert details.username == "Asa@acme.fi"  # defaults to the e-mail
    assert validate_registration(reg(last_name="D'Artagnan", username="asa")).username == "asa"


@pytest.mark.parametrize("name", ["Zoë", "José", "Ægir", "Łukasz", "Ñoño", "Ōsaka", "Þór",
                                  "O’Neil", "Jean-Luc"])
def test_unicode_names(name: str) -> None:
    assert validate_registration(reg(first_name=name)).first_name == name


@pytest.mark.parametrize(
    ("first", "code"),
    [("", "field_required"), ("   ", "field_required"), ("R2D2", "invalid_name"),
     ("a" * 101, "field_too_long"), ("Matti\nX", "header_injection"), ("--", "invalid_name"),
     ("<b>", "invalid_name")],
)
def test_bad_names(first: str, code: str) -> None:
    assert fields(reg(first_name=first)) == {"first_name": [code]}


def test_username_rules() -> None:
    assert fields(reg(username="ab")) == {"username": ["username_too_short"]}
    assert fields(reg(username="a b c")) == {"username": ["username_has_spaces"]}
    assert fields(reg(username="x" * 101)) == {"username": ["field_too_long"]}
    assert validate_registration(reg(username="abc")).username == "abc"


def test_everything_reported_at_once_in_three_languages() -> None:
    with pytest.raises(RegistrationRejected) as info:
        validate_registration(reg(first_name="", last_name="X1", email="nope",
                                  username="a", password="short"))
    assert {e.field for e in info.value.errors} == {
        "first_name", "last_name", "email", "username", "password"}
    assert "etunimi" in info.value.message("fi")
    assert "förnamn" in info.value.message("sv")
    for error in info.value.errors:
        assert len({error.message(lang) for lang in ("fi", "sv", "en")}) == 3


def test_password_rule_uses_the_submitted_names() -> None:
    found = fields(reg(first_name="Åsa", last_name="Öberg-Mäkinen", password="Xober12345!"))
    assert found == {"password": ["contains_name"]}
    found = fields(reg(first_name="Åsa", last_name="Öberg-Mäkinen", password="Xkin12345!"))
    assert found == {"password": ["contains_name"]}
    assert validate_registration(reg(password="Xgma12345!"))  # "g-m" spans the hyphen
