"""Dates and times as people read them: Finnish time, to the minute, worded
per language (``14.3.2025 klo 15.05``, ``14/03/2025 at 15:05``).

Babel's locale data words the date; the zone's name ("Suomen aikaa") comes
from the ``errors`` catalog, which falls back to English when it is broken, so
an error message can still say that a catalog is broken.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from babel import Locale
from babel.dates import format_datetime

from invitations.i18n.languages import LANGUAGES, LOCALES, TIMEZONE
from invitations.i18n.texts import T_, translate

__all__ = ["datetime_pattern", "format_time"]

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
