"""Values and messages as people read them: dates and times in Finnish time, to
the minute, worded per language (``14.3.2025 klo 15.05``, ``14/03/2025 at 15:05``),
and :class:`Text`, a message of the ``errors`` catalog worded on demand.

Babel's locale data words the date; the zone's name ("Suomen aikaa") comes
from the ``errors`` catalog, which falls back to English when it is broken, so
an error message can still say that a catalog is broken.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache

from babel import Locale
from babel.dates import format_datetime

from invitations.i18n.languages import LANGUAGES, LOCALES, TIMEZONE, localized
from invitations.i18n.texts import T_, translate

__all__ = ["Text", "datetime_pattern", "format_time", "worded"]

_FINNISH_TIME = T_("Finnish time")


@cache
def datetime_pattern(lang: str) -> str:
    """Short date and time joined the way ``lang`` says "date at time"."""
    locale = Locale.parse(LOCALES[lang])
    joiner = locale.datetime_formats_relative.get("long") or locale.datetime_formats["short"]
    date = locale.date_formats["short"].pattern
    time = locale.time_formats["short"].pattern
    return str(joiner).replace("{1}", date).replace("{0}", time)


def format_time(value: object, lang: str = "en") -> str:
    """Render a datetime for people as the mail does: Finnish time to the minute,
    worded for ``lang``, with the zone named (``14.3.2025 klo 15.05, Suomen aikaa``)."""
    if not isinstance(value, datetime):
        return str(value)
    code = lang if lang in LANGUAGES else "en"
    when = format_datetime(value.astimezone(UTC), datetime_pattern(code), tzinfo=TIMEZONE,
                           locale=Locale.parse(LOCALES[code]))
    return f"{when}, {translate(_FINNISH_TIME, code)}"


def worded(value: object, lang: str) -> object:
    """A parameter as a ``lang`` reader sees it: texts translated, times in Finnish time."""
    if isinstance(value, Text):
        return value.message(lang)
    if isinstance(value, datetime):
        return format_time(value, lang)
    if isinstance(value, Mapping) and value and set(value) <= set(LANGUAGES):
        return localized(value, lang)  # a text given ready in every language
    return value


class _Values(dict[str, object]):
    """Parameters for ``%``; a field nobody gave shows as itself, not a crash."""

    def __missing__(self, key: str) -> str:
        return f"%({key})s"


class Text:
    """A msgid of the ``errors`` domain and its parameters, worded on demand.

    ``Text("line %(line)s", line=3).message("fi")`` is ``"rivi 3"``; a parameter
    may itself be a :class:`Text` (worded in the same language) or a datetime.
    """

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, /, **params: object) -> None:
        self.msgid = msgid
        self.params: dict[str, object] = params

    def message(self, lang: str = "en") -> str:
        values = _Values({key: worded(value, lang) for key, value in self.params.items()})
        try:
            return translate(self.msgid, lang) % values
        except (KeyError, ValueError, TypeError):  # a slip the gate did not see: English
            return self.msgid % values

    def __str__(self) -> str:
        return self.message("en")

    def __repr__(self) -> str:
        return f"Text({self.msgid!r}, **{self.params!r})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Text) and other.msgid == self.msgid
                and other.params == self.params)

    def __hash__(self) -> int:
        return hash(self.msgid)
