"""Language sections and the expiry dates they state, out of a mail's HTML.

A section is an element carrying a ``lang`` attribute (the templates put one
``<div lang="..">`` per language). ``lang`` on ``<html>``/``<body>`` only counts
when no inner element has one (a single-language mail). A real HTML parser
(not the arrival scan's regular expressions): the section's visible text must
be exact. Each section's links are the message's links with its language
(:class:`~devsmtp.mail.ParsedMail` fills them in).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from .links import Link

__all__ = ["Section", "expiry_instants", "html_sections"]

_VOID = frozenset(
    ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr")
)
_SKIP = frozenset(("style", "script", "head", "title"))


@dataclass
class Section:
    """One language's part of the HTML: its visible text, links and ``<time>`` values."""

    lang: str
    text: str = ""
    links: list[Link] = field(default_factory=list)
    times: list[str] = field(default_factory=list)


class _Sections(HTMLParser):
    def __init__(self, whole: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.whole = whole
        self.stack: list[tuple[str, Section | None]] = []
        self.sections: list[Section] = []
        self.outer: list[Section] = []  # from <html lang>/<body lang>
        self.skipping = 0
        self.chunks: dict[int, list[str]] = {}

    def current(self) -> Section | None:
        for _, section in reversed(self.stack):
            if section is not None:
                return section
        return None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in _SKIP:
            self.skipping += 1
        section = None
        lang = a.get("lang", "").strip()
        enclosing = self.current()
        inner = any(enclosing is known for known in self.sections)
        if lang and inner and enclosing is not None and enclosing.lang == lang:
            lang = ""  # e.g. <td lang="fi"> inside <div lang="fi">: still the same section
        if lang or (self.whole and not self.stack):
            section = Section(lang or "")
            (self.outer if tag in ("html", "body") and not self.whole else self.sections
             ).append(section)
        if tag == "time" and a.get("datetime") and (cur := section or self.current()):
            cur.times.append(a["datetime"])
        if tag not in _VOID:
            self.stack.append((tag, section))
        elif tag == "br":
            self.handle_data("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self.skipping:
            self.skipping -= 1
        # Pop to the matching open tag; tolerate unclosed <p>, <td>, <li>.
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break
        if tag in ("p", "div", "tr", "li", "h1", "h2", "h3", "table"):
            self.handle_data("\n")

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        cur = self.current()
        if cur is not None:
            self.chunks.setdefault(id(cur), []).append(data)

    def result(self) -> list[Section]:
        sections = self.sections or self.outer
        for section in sections:
            raw = "".join(self.chunks.get(id(section), []))
            lines = (" ".join(line.split()) for line in raw.splitlines())
            section.text = "\n".join(line for line in lines if line)
        return sections


def html_sections(html: str, *, whole: bool = False) -> list[Section]:
    """Sections in document order; nested sections own only their own text.

    With ``whole=True`` the whole document is one section (lang ``""``).
    """
    parser = _Sections(whole)
    parser.feed(html)
    parser.close()
    return parser.result()


_MONTHS = {
    name: n
    for n, names in enumerate(
        [
            ("january", "tammikuuta", "januari"), ("february", "helmikuuta", "februari"),
            ("march", "maaliskuuta", "mars"), ("april", "huhtikuuta", "april"),
            ("may", "toukokuuta", "maj"), ("june", "kesäkuuta", "juni"),
            ("july", "heinäkuuta", "juli"), ("august", "elokuuta", "augusti"),
            ("september", "syyskuuta", "september"), ("october", "lokakuuta", "oktober"),
            ("november", "marraskuuta", "november"), ("december", "joulukuuta", "december"),
        ],
        1,
    )
    for name in names
}
_NUMERIC = re.compile(r"\b(\d{1,2})[./](\d{1,2})[./](\d{4})\b")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_WORDS = re.compile(r"\b(\d{1,2})\.? ([^\W\d_]+) (\d{4})\b")
_TIME = re.compile(r"\b(\d{1,2})[.:](\d{2})\b(?![./]\d)")


def expiry_instants(section: Section) -> list[str]:
    """The date-times a section states: its ``<time datetime>`` values, then the
    dates its text shows, normalised to ``YYYY-MM-DD HH:MM``.

    Text dates are ``14.3.2025``, ``14/03/2025``, ``2025-03-14`` or ``14 March
    2025`` (fi/sv/en month names), each with the next ``15.05``/``15:05`` after
    it. Both kinds count, so a section whose visible date disagrees differs.
    """
    found = sorted(set(section.times))
    text = section.text
    for match in sorted(
        [*_NUMERIC.finditer(text), *_ISO.finditer(text), *_WORDS.finditer(text)],
        key=lambda m: m.start(),
    ):
        if match.re is _ISO:
            year, month, day = (int(g) for g in match.groups())
        elif match.re is _WORDS:
            if match.group(2).lower() not in _MONTHS:
                continue
            day, month, year = int(match.group(1)), _MONTHS[match.group(2).lower()], int(
                match.group(3))
        else:
            day, month, year = (int(g) for g in match.groups())
        clock = _TIME.search(text, match.end(), match.end() + 25)
        hhmm = f" {int(clock.group(1)):02d}:{clock.group(2)}" if clock else ""
        found.append(f"{year:04d}-{month:02d}-{day:02d}{hhmm}")
    return found
