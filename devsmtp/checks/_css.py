"""A small CSS tokeniser: declarations, at-rules and selectors, each with its line.

Enough for the compatibility check: it does not validate CSS, it finds what
a stylesheet uses. Comments are reported (``css-comments``) and blanked
before parsing; strings and parentheses are respected when splitting.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

__all__ = ["AtRule", "CSSScan", "Declaration", "Selector", "scan_declarations", "scan_stylesheet"]

_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Declaration:
    prop: str
    value: str
    important: bool
    line: int


@dataclass(frozen=True, slots=True)
class AtRule:
    name: str
    prelude: str
    line: int


@dataclass(frozen=True, slots=True)
class Selector:
    text: str
    line: int
    #: Written inside another rule's block (CSS nesting).
    nested: bool = False


@dataclass
class CSSScan:
    declarations: list[Declaration]
    at_rules: list[AtRule]
    selectors: list[Selector]
    comments: list[int]


class _Lines:
    """Offset -> 1-based line, starting at ``first``."""

    def __init__(self, text: str, first: int) -> None:
        self.first = first
        self.breaks = [i for i, char in enumerate(text) if char == "\n"]

    def __call__(self, offset: int) -> int:
        return self.first + bisect_right(self.breaks, offset - 1)


def _blank_comments(text: str, lines: _Lines, found: list[int]) -> str:
    def blank(match: re.Match[str]) -> str:
        found.append(lines(match.start()))
        return re.sub(r"[^\n]", " ", match.group(0))

    return _COMMENT.sub(blank, text)


def _split_top(text: str, start: int, end: int, sep: str) -> list[tuple[int, int]]:
    """``(start, end)`` spans of ``text[start:end]`` split on ``sep`` outside () and strings."""
    spans: list[tuple[int, int]] = []
    depth = 0
    quote = ""
    begin = start
    i = start
    while i < end:
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char == sep and depth == 0:
            spans.append((begin, i))
            begin = i + 1
        i += 1
    spans.append((begin, end))
    return spans


def _declarations(text: str, start: int, end: int, lines: _Lines) -> list[Declaration]:
    found: list[Declaration] = []
    for begin, stop in _split_top(text, start, end, ";"):
        chunk = text[begin:stop]
        if ":" not in chunk:
            continue
        prop, _, value = chunk.partition(":")
        name = prop.strip().lower()
        if not name or not re.fullmatch(r"-?-?[a-z][a-z0-9-]*|--[\w-]+", name):
            continue
        offset = begin + len(chunk) - len(chunk.lstrip())
        important = bool(re.search(r"!\s*important\s*$", value, re.IGNORECASE))
        value = re.sub(r"!\s*important\s*$", "", value, flags=re.IGNORECASE).strip()
        found.append(Declaration(name, value, important, lines(offset)))
    return found


def _matching(text: str, open_at: int) -> int:
    """The index of the ``}`` closing the ``{`` at ``open_at`` (or the end)."""
    depth = 0
    quote = ""
    i = open_at
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return len(text)


def _next_stop(text: str, start: int, end: int) -> int:
    """The next top-level ``{``, ``;`` or ``}`` from ``start`` (or ``end``)."""
    depth = 0
    quote = ""
    i = start
    while i < end:
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char in "{;}" and depth == 0:
            return i
        i += 1
    return end


_GROUP_RULES = {"media", "supports", "document", "-moz-document", "container", "layer"}


def _rules(text: str, start: int, end: int, lines: _Lines, scan: CSSScan,
           *, nested: bool = False, keyframes: bool = False) -> None:
    i = start
    while i < end:
        stop = _next_stop(text, i, end)
        prelude = text[i:stop].strip()
        offset = i + len(text[i:stop]) - len(text[i:stop].lstrip())
        if stop >= end or text[stop] in ";}":
            if prelude.startswith("@"):
                name, _, rest = prelude[1:].partition(" ")
                scan.at_rules.append(AtRule(name.lower(), rest.strip(), lines(offset)))
            elif nested and ":" in prelude:
                scan.declarations.extend(_declarations(text, i, stop, lines))
            i = stop + 1
            continue
        close = min(_matching(text, stop), end)
        if prelude.startswith("@"):
            name, _, rest = prelude[1:].partition(" ")
            name = name.lower()
            scan.at_rules.append(AtRule(name, rest.strip(), lines(offset)))
            if name in _GROUP_RULES:
                _rules(text, stop + 1, close, lines, scan, nested=nested)
            elif name.endswith("keyframes"):
                _rules(text, stop + 1, close, lines, scan, keyframes=True)
            else:  # @font-face, @page ...
                scan.declarations.extend(_declarations(text, stop + 1, close, lines))
        elif keyframes:
            scan.declarations.extend(_declarations(text, stop + 1, close, lines))
        else:
            if prelude:
                scan.selectors.append(Selector(" ".join(prelude.split()), lines(offset), nested))
            _block(text, stop + 1, close, lines, scan)
        i = close + 1


def _block(text: str, start: int, end: int, lines: _Lines, scan: CSSScan) -> None:
    """A rule's block: declarations, and nested rules when it has any."""
    body = text[start:end]
    if "{" not in body:
        scan.declarations.extend(_declarations(text, start, end, lines))
        return
    _rules(text, start, end, lines, scan, nested=True)


def scan_stylesheet(css: str, first_line: int = 1) -> CSSScan:
    """Everything a ``<style>`` block uses; lines count from ``first_line``."""
    lines = _Lines(css, first_line)
    scan = CSSScan([], [], [], [])
    text = _blank_comments(css, lines, scan.comments)
    text = text.replace("<!--", "    ").replace("-->", "   ")
    _rules(text, 0, len(text), lines, scan)
    return scan


def scan_declarations(style: str, first_line: int = 1) -> CSSScan:
    """What one ``style`` attribute uses; lines count from ``first_line``."""
    lines = _Lines(style, first_line)
    scan = CSSScan([], [], [], [])
    text = _blank_comments(style, lines, scan.comments)
    scan.declarations.extend(_declarations(text, 0, len(text), lines))
    return scan
