"""Choosing the language of the registration pages.

The pages' strings live in their own gettext domain, ``web``
(``locales/<lang>/LC_MESSAGES/web.po``), loaded through
:func:`invitations.i18n.runtime.language` like the mail's catalogs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from invitations.i18n.languages import LANGUAGES

__all__ = ["negotiate"]


def negotiate(
    requested: str | None,
    accept_language: str | None,
    fallbacks: Iterable[str] = (),
    supported: Sequence[str] = LANGUAGES,
) -> str:
    """Pick the page language.

    Order: an explicit choice (the language switch), then the browser's
    ``Accept-Language``, then ``fallbacks`` (the invitation's own language
    order), then the first supported language.
    """
    if requested is not None and requested in supported:
        return requested
    for lang in _accepted(accept_language or ""):
        if lang in supported:
            return lang
    for lang in fallbacks:
        if lang in supported:
            return lang
    return supported[0]


def _accepted(header: str) -> list[str]:
    """Primary language subtags of an ``Accept-Language`` header, best first."""
    weighted: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().split("-")[0].lower()
        if primary and primary != "*" and quality > 0:
            weighted.append((-quality, index, primary))
    return [lang for _, _, lang in sorted(weighted)]
