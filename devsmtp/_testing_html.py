"""Language sections, links and expiry dates out of a mail's HTML and text.

A section is an element carrying a ``lang`` attribute (the templates put one
``<div lang="..">`` per language). ``lang`` on ``<html>``/``<body>`` only counts
when no inner element has one (a single-language mail).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser

_VOID = frozenset(
    ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr")
)
_SKIP = frozenset(("style", "script", "head", "title"))
_URL = re.compile(r"https?://[^\s<>\"')\]]+")


@dataclass(frozen=True)
class Link:
    """One link: URL, anchor text, part (``html``/``text``) and section language."""

    url: str
    text: str = ""
    part: str = "html"
    lang: str | None = None


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
        self.anchor: tuple[str, list[str]] | None = None
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
        if tag == "a" and a.get("href"):
            self.anchor = (a["href"], [])
        if tag == "time" and a.get("datetime") and (cur := section or self.current()):
            cur.times.append(a["datetime"])
        if tag not in _VOID:
            self.stack.append((tag, section))
        elif tag == "br":
            self.handle_data("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self.skipping:
            self.skipping -= 1
        if tag == "a" and self.anchor:
            href, words = self.anchor
            self.anchor = None
            cur = self.current()
            lang = cur.lang if cur else None
            target = cur if cur is not None else None
            link = Link(href, " ".join("".join(words).split()), "html", lang)
            if target is not None:
                target.links.append(link)
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
        if self.anchor:
            self.anchor[1].append(data)
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


def text_links(text: str) -> list[Link]:
    return [Link(m.group(0).rstrip(".,;:"), "", "text", None) for m in _URL.finditer(text)]


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


def load_catalogs() -> dict[str, dict[str, str]]:
    """The toolkit's own catalogs (lang -> {msgid: msgstr}); empty when unavailable."""
    try:
        from babel.messages.pofile import read_po

        from invitations.resources import locales_dir
    except ImportError:
        return {}
    catalogs: dict[str, dict[str, str]] = {}
    for po in sorted(locales_dir().glob("*/LC_MESSAGES/messages.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh)
        entries = catalogs.setdefault(po.parent.parent.name, {})
        for message in catalog:
            if message.id and isinstance(message.id, str) and isinstance(message.string, str):
                entries[message.id] = message.string
    return catalogs
