"""The plain-text part's layout: prose wrapped at 76 columns, URLs on lines of their own.

Mail readers such as mutt show the text part at 80 columns and mark their own
breaks with ``+``; copying such a line breaks a link. So every line of prose
is wrapped between words at :data:`WIDTH` columns, and every URL stands alone
on its line, whole, however long (a URL is never broken).
"""

from __future__ import annotations

import re
import textwrap

__all__ = ["WIDTH", "layout_text"]

#: Prose lines are at most this long (RFC 5322's 78 less room for quoting).
WIDTH = 76
_URL = re.compile(r"https?://\S+")
_WRAPPER = textwrap.TextWrapper(
    width=WIDTH, break_long_words=False, break_on_hyphens=False, expand_tabs=False,
    replace_whitespace=False,
)


def _line(line: str) -> list[str]:
    if len(line) <= WIDTH and ("://" not in line or _URL.fullmatch(line.strip())):
        return [line]
    out: list[str] = []
    rest = line
    while (found := _URL.search(rest)) is not None:
        before = rest[: found.start()].rstrip()
        if before:
            out.extend(_WRAPPER.wrap(before))
        out.append(found.group(0))
        rest = rest[found.end():].lstrip()
    if rest:
        out.extend(_WRAPPER.wrap(rest))
    return out


def layout_text(text: str) -> str:
    """``text`` with long lines wrapped and each URL moved onto a line of its own."""
    lines = text.split("\n")
    if all(len(line) <= WIDTH and "://" not in line for line in lines):
        return text
    return "\n".join(part for line in lines for part in _line(line))
