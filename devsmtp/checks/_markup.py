"""Mail HTML read with the standard library's parser, every item with its source line.

The checks need what :mod:`devsmtp.mail.markup` (regular expressions, fast,
for every arriving message) does not give: every element with its attributes
and line, the ``style`` attributes and ``<style>`` blocks, comments and the
doctype.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

__all__ = ["Element", "HTMLDocument", "read_html"]


@dataclass(frozen=True, slots=True)
class Element:
    tag: str
    attrs: dict[str, str]
    #: 1-based line of the start tag.
    line: int
    #: 1-based line of the ``style`` attribute (the tag's when on one line).
    style_line: int


@dataclass
class HTMLDocument:
    elements: list[Element] = field(default_factory=list)
    #: ``(css, first line)`` of each ``<style>`` block.
    styles: list[tuple[str, int]] = field(default_factory=list)
    comments: list[tuple[str, int]] = field(default_factory=list)
    doctype: int | None = None
    has_body: bool = False

    @property
    def nodes(self) -> int:
        """Elements that count for weighting (not html/head/meta/title), at least 1."""
        skip = {"html", "head", "meta", "title"}
        return max(1, sum(1 for element in self.elements if element.tag not in skip))


_STYLE_ATTR = re.compile(r"\sstyle\s*=", re.IGNORECASE)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.document = HTMLDocument()
        self._style_open = False
        self._in_style: int | None = None
        self._style_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        values = {name.lower(): value or "" for name, value in attrs}
        style_line = line
        if "style" in values:
            raw = self.get_starttag_text() or ""
            found = _STYLE_ATTR.search(raw)
            if found:
                style_line = line + raw.count("\n", 0, found.start() + 1)
        self.document.elements.append(Element(tag, values, line, style_line))
        if tag == "body":
            self.document.has_body = True
        if tag == "style":
            self._in_style = None
            self._style_text = []
            self._style_open = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "style":
            self._style_open = False

    def handle_data(self, data: str) -> None:
        if self._style_open:
            if self._in_style is None:
                self._in_style = self.getpos()[0]
            self._style_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style" and self._style_open:
            self._style_open = False
            first = self._in_style if self._in_style is not None else self.getpos()[0]
            self.document.styles.append(("".join(self._style_text), first))

    def handle_comment(self, data: str) -> None:
        self.document.comments.append((data, self.getpos()[0]))

    def handle_decl(self, decl: str) -> None:
        if decl.lower().startswith("doctype"):
            self.document.doctype = self.getpos()[0]


def read_html(html: str) -> HTMLDocument:
    """Parse ``html`` (never raises; broken markup is read as far as it goes)."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    if reader._style_open:  # <style> never closed
        first = reader._in_style or reader.getpos()[0]
        reader.document.styles.append(("".join(reader._style_text), first))
    return reader.document
