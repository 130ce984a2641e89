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

from invitations.i18n.formatting import Text
from invitations.i18n.texts import T_

__all__ = [
    "entry_problems",
    "message_problems",
    "msgid_text",
    "placeholders",
    "shorten",
]

# A Python %-placeholder as newstyle gettext formats it: %(name)s, or %% for a literal %.
_PERCENT = re.compile(r"%(?:\((?P<name>[^)]*)\))?(?P<spec>[-#0 +]*\d*(?:\.\d+)?[a-zA-Z%])?")


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
    reason: Text


def _as_placeholders(names: Iterable[str]) -> str:
    return ", ".join(f"%({name})s" for name in sorted(names)) or "-"


def entry_problems(message: Message) -> Iterator[_Problem]:
    ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
    strs = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
    wanted, bad_id = placeholders(ids[-1])
    for token in bad_id:
        yield _Problem(None, Text(T_(
            "msgid uses %(token)s: write a literal percent sign as %(percent)s "
            "(fix the source and run `make messages`)"
        ), token=repr(token), percent="%%"))
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
                why = T_("%(label)s uses %(token)s: write the placeholder exactly as in the "
                         "msgid, %(placeholder)s")
            elif name:
                why = T_("%(label)s uses %(token)s, which the msgid does not have: use only "
                         "the msgid's placeholders (%(listed)s)")
            else:
                why = T_("%(label)s uses %(token)s: write a literal percent sign as "
                         "%(percent)s and placeholders exactly as in the msgid (%(listed)s)")
            yield _Problem(index, Text(why, label=label, token=repr(token), listed=listed,
                                       placeholder=f"%({name})s", percent="%%"))
        # A singular form may leave out the count (Finnish "yhden" for 1), nothing else.
        have = set(names)
        if len(strs) > 1 and index == 0 and have == expected - {"count"}:
            continue
        missing, extra = expected - have, have - expected
        if not missing and not extra:
            continue
        if missing and extra:
            slip = T_("%(label)s lacks %(missing)s and %(label)s has %(extra)s, which the "
                      "msgid does not have: keep the placeholders exactly as in the msgid "
                      "(%(listed)s)")
        elif missing:
            slip = T_("%(label)s lacks %(missing)s: keep the placeholders exactly as in the "
                      "msgid (%(listed)s)")
        else:
            slip = T_("%(label)s has %(extra)s, which the msgid does not have: keep the "
                      "placeholders exactly as in the msgid (%(listed)s)")
        yield _Problem(index, Text(slip, label=label, missing=_as_placeholders(missing),
                                   extra=_as_placeholders(extra), listed=listed))


def message_problems(message: Message) -> Iterator[str]:
    """Placeholder problems of one translated message, in English (empty when fine).

    Every msgstr must use exactly the placeholders of its msgid (for plurals:
    of the plural msgid) and write a literal ``%`` as ``%%``.
    """
    for problem in entry_problems(message):
        yield problem.reason.message("en")


def msgid_text(message: Message) -> str:
    return str(message.id[0] if isinstance(message.id, (list, tuple)) else message.id)


def shorten(msgid: str) -> str:
    return repr(msgid if len(msgid) <= 60 else msgid[:57] + "...")
