"""The plain-text part's layout: prose wrapped at 76 columns, URLs on lines of their own.

Mail readers such as mutt show the text part at 80 columns and mark their own
breaks with ``+``; copying such a line breaks a link. So every line of prose
is wrapped between words at :data:`WIDTH` columns, and every URL stands alone
on its line, whole, however long (a URL is never broken).
"""

from __future__ import annotations

import re

__all__ = ["WIDTH", "layout_text"]

#: Prose lines are at most this long (RFC 5322's 78 less room for quoting).
WIDTH = 76
_URL = re.compile(r"https?://\S+")


def _wrap(text: str) -> list[str]:
    """Greedy wrap between words (a word longer than the width stands alone, whole)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= WIDTH:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def _line(line: str) -> list[str]:
    if len(line) <= WIDTH and ("://" not in line or _URL.fullmatch(line.strip())):
        return [line]
    out: list[str] = []
    rest = line
    while (found := _URL.search(rest)) is not None:
        before = rest[: found.start()].rstrip()
        if before:
            out.extend(_wrap(before))
        out.append(found.group(0))
        rest = rest[found.end():].lstrip()
    if rest:
        out.extend(_wrap(rest))
    return out


def layout_text(text: str) -> str:
    """``text`` with long lines wrapped and each URL moved onto a line of its own."""
    out: list[str] = []
    for line in text.split("\n"):
        if len(line) <= WIDTH and ("://" not in line or _URL.fullmatch(line)):
            out.append(line)
        else:
            out.extend(_line(line))
    return "\n".join(out)
