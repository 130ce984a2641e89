"""The messages of a catalog entry: placeholders, and what is wrong with them.

Newstyle gettext formats ``%(name)s`` placeholders with Python's ``%``
operator, so a translation that drops, renames or misspells one breaks the
sentence (or the whole mail) at run time. :func:`message_problems` finds such
slips in one Babel :class:`~babel.messages.catalog.Message`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from babel.messages.catalog import Message

__all__ = [
    "entry_problems",
    "message_problems",
    "msgid_text",
    "placeholders",
    "reason_in_all",
    "shorten",
]

# A Python %-placeholder as newstyle gettext formats it: %(name)s, or %% for a literal %.
_PERCENT = re.compile(r"%(?:\((?P<name>[^)]*)\))?(?P<spec>[-#0 +]*\d*(?:\.\d+)?[a-zA-Z%])?")


def reason_in_all(en: str, fi: str, sv: str) -> dict[str, str]:
    return {"fi": fi, "sv": sv, "en": en}


def placeholders(text: str) -> tuple[list[str], list[str]]:
    """Return (named placeholders, malformed %-sequences) found in ``text``.

    ``%%`` is a literal percent sign and counts as neither. Anything else
    starting with ``%`` that is not ``%(name)s`` is malformed: newstyle
    gettext always %-formats, so it would crash (or garble) the render.
    """
    names: list[str] = []
    bad: list[str] = []
    for match in _PERCENT.finditer(text):
        token, name, spec = match.group(0), match.group("name"), match.group("spec")
        if token == "%%":
            continue
        if name and spec == "s":
            names.append(name)
        else:
            bad.append(token)
    return sorted(names), bad


@dataclass(frozen=True)
class _Problem:
    """One placeholder problem: where (msgstr form, None for the msgid) and why."""

    index: int | None
    reason: dict[str, str]


def _as_placeholders(names: Iterable[str]) -> str:
    return ", ".join(f"%({name})s" for name in sorted(names)) or "-"


def entry_problems(message: Message) -> Iterator[_Problem]:
    ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
    strs = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
    wanted, bad_id = placeholders(ids[-1])
    for token in bad_id:
        yield _Problem(None, reason_in_all(
            f"msgid uses {token!r}: write a literal percent sign as %% "
            "(fix the source and run `make messages`)",
            f"msgid käyttää merkintää {token!r}: kirjoita prosenttimerkki muodossa %% "
            "(korjaa lähdekoodi ja aja `make messages`)",
            f"msgid använder {token!r}: skriv ett procenttecken som %% "
            "(rätta källkoden och kör `make messages`)",
        ))
    expected = set(wanted)
    listed = _as_placeholders(expected)
    for index, text in enumerate(strs):
        if not text:
            continue
        names, bad = placeholders(text)
        label = f"msgstr[{index}]" if len(strs) > 1 else "msgstr"
        for token in bad:
            match = _PERCENT.fullmatch(token)
            name = match.group("name") if match else None
            if name and name in expected:
                yield _Problem(index, reason_in_all(
                    f"{label} uses {token!r}: write the placeholder exactly as in the "
                    f"msgid, %({name})s",
                    f"{label} käyttää merkintää {token!r}: kirjoita paikkamerkki täsmälleen "
                    f"kuten msgid:ssä, %({name})s",
                    f"{label} använder {token!r}: skriv platshållaren exakt som i msgid, "
                    f"%({name})s",
                ))
            elif name:
                yield _Problem(index, reason_in_all(
                    f"{label} uses {token!r}, which the msgid does not have: use only "
                    f"the msgid's placeholders ({listed})",
                    f"{label} käyttää merkintää {token!r}, jota msgid:ssä ei ole: käytä vain "
                    f"msgid:n paikkamerkkejä ({listed})",
                    f"{label} använder {token!r}, som msgid inte har: använd bara "
                    f"msgid:s platshållare ({listed})",
                ))
            else:
                yield _Problem(index, reason_in_all(
                    f"{label} uses {token!r}: write a literal percent sign as %% and "
                    f"placeholders exactly as in the msgid ({listed})",
                    f"{label} käyttää merkintää {token!r}: kirjoita prosenttimerkki muodossa "
                    f"%% ja paikkamerkit täsmälleen kuten msgid:ssä ({listed})",
                    f"{label} använder {token!r}: skriv ett procenttecken som %% och "
                    f"platshållarna exakt som i msgid ({listed})",
                ))
        # A singular form may leave out the count (Finnish "yhden" for 1), nothing else.
        have = set(names)
        if len(strs) > 1 and index == 0 and have == expected - {"count"}:
            continue
        missing, extra = expected - have, have - expected
        if not missing and not extra:
            continue
        en, fi, sv = [], [], []
        if missing:
            en.append(f"{label} lacks {_as_placeholders(missing)}")
            fi.append(f"{label}-tekstistä puuttuu {_as_placeholders(missing)}")
            sv.append(f"{label} saknar {_as_placeholders(missing)}")
        if extra:
            en.append(f"{label} has {_as_placeholders(extra)}, which the msgid does not have")
            fi.append(f"{label}-tekstissä on {_as_placeholders(extra)}, jota msgid:ssä ei ole")
            sv.append(f"{label} har {_as_placeholders(extra)}, som msgid inte har")
        yield _Problem(index, reason_in_all(
            " and ".join(en) + f": keep the placeholders exactly as in the msgid ({listed})",
            " ja ".join(fi) + f": säilytä paikkamerkit täsmälleen kuten msgid:ssä ({listed})",
            " och ".join(sv) + f": behåll platshållarna exakt som i msgid ({listed})",
        ))


def message_problems(message: Message) -> Iterator[str]:
    """Placeholder problems of one translated message, in English (empty when fine).

    Every msgstr must use exactly the placeholders of its msgid (for plurals:
    of the plural msgid) and write a literal ``%`` as ``%%``.
    """
    for problem in entry_problems(message):
        yield problem.reason["en"]


def msgid_text(message: Message) -> str:
    return str(message.id[0] if isinstance(message.id, (list, tuple)) else message.id)


def shorten(msgid: str) -> str:
    return repr(msgid if len(msgid) <= 60 else msgid[:57] + "...")
