"""Every error speaks fi, sv and en, with the same placeholders in each.

The toolkit's errors carry msgids of its ``errors`` catalog, devsmtp's errors
msgids of devsmtp's own catalog (each catalog gate checks their placeholders);
no error class carries a table of texts of its own any more.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping

import pytest

import devsmtp.errors
import invitations.errors
from devsmtp.errors import DevSMTPError
from invitations.errors import InvitationError

LANGUAGES = {"fi", "sv", "en"}


def subclasses(root: type) -> Iterator[type]:
    for cls in root.__subclasses__():
        yield cls
        yield from subclasses(cls)


def tables(cls: type) -> Iterator[tuple[str, Mapping[str, str]]]:
    """Each language table a class defines itself (``messages``, per-role tables...)."""
    for name, value in vars(cls).items():
        if not isinstance(value, Mapping) or not value:
            continue
        if set(value) & LANGUAGES:
            yield name, value
        else:  # one level of nesting, e.g. a table per role
            for key, inner in value.items():
                if isinstance(inner, Mapping) and set(inner) & LANGUAGES:
                    yield f"{name}[{key}]", inner


def msgids(cls: type) -> Iterator[tuple[str, str]]:
    """Each msgid a toolkit error class defines itself (its text, per-role texts...)."""
    for name, value in vars(cls).items():
        if name in ("text", "main_user_text", "fewer", "suggestion") and isinstance(value, str):
            yield name, value
        elif name == "reasons" and isinstance(value, Mapping):
            yield from ((f"{name}[{key}]", text) for key, text in value.items())


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


ERRORS = sorted({*subclasses(InvitationError), InvitationError, *subclasses(DevSMTPError),
                 DevSMTPError}, key=lambda c: f"{c.__module__}.{c.__qualname__}")


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__qualname__)
def test_every_table_has_three_languages_and_the_same_fields(cls: type) -> None:
    for name, table in tables(cls):
        assert set(table) == LANGUAGES, f"{cls.__qualname__}.{name}: {sorted(table)}"
        assert all(isinstance(text, str) and text.strip() for text in table.values())
        assert fields(table["fi"]) == fields(table["sv"]) == fields(table["en"]), (
            f"{cls.__qualname__}.{name}"
        )


@pytest.mark.parametrize("cls", [c for c in ERRORS if issubclass(c, DevSMTPError)],
                         ids=lambda c: c.__qualname__)
def test_every_devsmtp_text_is_translated_in_its_catalog(cls: type) -> None:
    from devsmtp.catalog import language

    assert not list(tables(cls)), f"{cls.__qualname__} keeps a table of its own"
    text = vars(cls).get("text")
    if text is None:
        return  # inherits its parent's text (checked there) or words no text (HTTPError)
    for lang in ("fi", "sv", "en"):
        assert text in language(lang).translations._catalog, (  # type: ignore[attr-defined]
            f"{cls.__qualname__}: not in {lang}")
    assert language("fi").gettext(text) != text, cls.__qualname__
    assert language("sv").gettext(text) != text, cls.__qualname__


def test_devsmtp_errors_speak_the_reader_s_language() -> None:
    from devsmtp.errors import MessageNotFound, MethodNotAllowed

    error = MessageNotFound(42)
    assert error.message("fi").startswith("Viestiä 42 ei ole")
    assert error.message("sv").startswith("Meddelande 42 finns inte")
    assert str(error).startswith("Message 42 does not exist")
    answer = MethodNotAllowed("/api/messages", "PUT", "GET, DELETE").to_dict()
    assert answer["messages"] == {  # type: ignore[comparison-overlap]
        "fi": "PUT ei käy osoitteelle /api/messages. Käytä: GET, DELETE.",
        "sv": "PUT går inte för adressen /api/messages. Använd: GET, DELETE.",
        "en": "PUT is not allowed on /api/messages. Use: GET, DELETE.",
    }


@pytest.mark.parametrize("cls", [c for c in ERRORS if issubclass(c, InvitationError)],
                         ids=lambda c: c.__qualname__)
def test_every_text_is_translated_in_the_errors_catalog(cls: type) -> None:
    from invitations.i18n.runtime import language

    for name, msgid in msgids(cls):
        for lang in ("fi", "sv", "en"):
            catalog = language(lang, "errors").translations
            assert msgid in catalog._catalog, f"{cls.__qualname__}.{name}: not in {lang}"  # type: ignore[attr-defined]
        assert language("fi", "errors").gettext(msgid) != msgid, f"{cls.__qualname__}.{name}"


def test_every_public_error_is_covered() -> None:
    public = [getattr(invitations.errors, n) for n in invitations.errors.__all__]
    public += [getattr(devsmtp.errors, n) for n in dir(devsmtp.errors)]
    errors = {e for e in public if isinstance(e, type) and issubclass(e, Exception)}
    assert errors <= set(ERRORS), errors - set(ERRORS)
    assert sum(1 for cls in ERRORS for _ in (*tables(cls), *msgids(cls))) > 30


def test_times_in_messages_are_finnish_time_as_in_the_mail() -> None:
    from datetime import UTC, datetime

    from invitations.errors import InvitationExpired

    error = InvitationExpired(signed_at=None, expires_at=datetime(2026, 11, 26, 23, 43, tzinfo=UTC))
    assert "(27.11.2026 klo 1.43, Suomen aikaa)" in error.message("fi")
    assert "(27.11.2026 kl. 1.43, finsk tid)" in error.message("sv")
    assert "(27/11/2026 at 01:43, Finnish time)" in error.message("en")


def test_reasons_inside_messages_follow_the_language() -> None:
    from invitations.errors import InvalidInput
    from invitations.validation import check_text, normalize_services

    with pytest.raises(InvalidInput) as control:
        check_text("company_name", "Acme\x07Oy", limit=50)
    assert control.value.message("fi").endswith("ohjausmerkit eivät ole sallittuja; poista ne.")
    assert "styrtecken är inte tillåtna" in control.value.message("sv")
    assert control.value.to_dict()["params"]["reason"].startswith("control characters")
    with pytest.raises(InvalidInput) as service:
        normalize_services(["Bad Service"])
    assert "pienillä kirjaimilla" in service.value.message("fi")
    assert "lower-case" not in service.value.message("sv")
