"""The inbox UI's language for one request: the ``?lang=`` switch, then the
``devsmtp_lang`` cookie, then ``Accept-Language`` (negotiated by Babel), then
Finnish. The catalogs themselves are :mod:`devsmtp.catalog`.
"""

from __future__ import annotations

from babel.core import negotiate_locale

from ..catalog import LANGUAGES

__all__ = ["COOKIE", "choose_language"]

COOKIE = "devsmtp_lang"


def _accepted(header: str) -> list[str]:
    """The tags of an ``Accept-Language`` header, lower-case, best first (q > 0)."""
    weighted: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
        tag = tag.strip().lower()
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(weighted)]


def choose_language(switch: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The UI language of one request."""
    for requested in (switch, cookie):
        if requested in LANGUAGES:
            return requested
    found = negotiate_locale(_accepted(accept_language or ""), LANGUAGES, sep="-", aliases={})
    return found if found in LANGUAGES else LANGUAGES[0]
