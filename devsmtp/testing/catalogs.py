"""Text of another language in a section: the check behind ``assert_no_untranslated``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from importlib.util import find_spec
from pathlib import Path

from ..mail import Section

__all__ = ["leaks", "load_catalogs", "toolkit_locales"]

_PLACEHOLDER = re.compile(r"%\([^)]*\)[sd]|%[sd]|\{[a-z_]+\}")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _fragments(text: str) -> list[str]:
    """Sentences of ``text`` between placeholders, whitespace collapsed."""
    return [" ".join(sentence.split())
            for piece in _PLACEHOLDER.split(text) for sentence in _SENTENCE_END.split(piece)]


def leaks(sections: Sequence[Section], catalogs: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Texts of another language found in a section, as readable problem lines.

    A catalog message whose msgid (or another language's msgstr) differs from
    the section language's own msgstr must not appear in that section, not even
    one sentence of it. Placeholders and sentence ends split the texts;
    fragments under 16 characters are ignored.
    """
    problems = []
    for section in sections:
        own = catalogs.get(section.lang)
        if own is None:
            continue
        body = " ".join(section.text.split())
        for msgid, msgstr in own.items():
            foreign = {msgid: "msgid"}
            for lang, catalog in catalogs.items():
                if lang != section.lang and catalog.get(msgid):
                    foreign.setdefault(catalog[msgid], lang)
            for text, origin in foreign.items():
                if not text or text == msgstr:
                    continue
                for fragment in _fragments(text):
                    if len(fragment) >= 16 and fragment not in msgstr and fragment in body:
                        problems.append(f"[{section.lang}] contains {origin} text {fragment!r}")
    return problems


def toolkit_locales() -> Path | None:
    """The :mod:`invitations` package's ``locales`` folder, found without importing it.

    Installed from a wheel the catalogs sit inside the package, in a source
    checkout (or an editable install) beside it. None when the package is
    not installed or has no catalogs.
    """
    spec = find_spec("invitations")
    if spec is None or not spec.submodule_search_locations:
        return None
    package = Path(next(iter(spec.submodule_search_locations)))
    for candidate in (package / "locales", package.parent / "locales"):
        if any(candidate.glob("*/LC_MESSAGES/messages.po")):
            return candidate
    return None


def load_catalogs() -> dict[str, dict[str, str]]:
    """The toolkit's own catalogs (lang -> {msgid: msgstr}); empty when unavailable."""
    from babel.messages.pofile import read_po

    locales = toolkit_locales()
    if locales is None:
        return {}
    catalogs: dict[str, dict[str, str]] = {}
    for po in sorted(locales.glob("*/LC_MESSAGES/messages.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh)
        entries = catalogs.setdefault(po.parent.parent.name, {})
        for message in catalog:
            if message.id and isinstance(message.id, str) and isinstance(message.string, str):
                entries[message.id] = message.string
    return catalogs
