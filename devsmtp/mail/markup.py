"""Fast reading of mail HTML with regular expressions: links, ``lang`` values, text.

Used on arrival for every message (see :mod:`devsmtp.mail.summary`), so it
must be cheap; the exact section text (for the invitation checks) comes from
:mod:`devsmtp.mail.sections`, which uses a real HTML parser.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import unescape

from .links import Link

__all__ = ["HTMLScan", "scan_html"]

_SPACE = re.compile(r"\s+")
_SKIP = re.compile(r"<!--.*?-->|<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_ANY_TAG = re.compile(r"<[^>]*>")
_LANG_TAG = re.compile(
    r"""<([a-zA-Z][a-zA-Z0-9-]*)\s[^>]*?\blang\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)[^>]*>""",
    re.IGNORECASE,
)
_ANCHOR = re.compile(
    r"""<a\s([^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*)>(.*?)</a\s*>""", re.IGNORECASE | re.DOTALL
)
_HREF = re.compile(r"""\bhref\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", re.IGNORECASE)


@lru_cache(maxsize=64)
def _open_close(tag: str) -> re.Pattern[str]:
    return re.compile(rf"<(/?){re.escape(tag)}(?=[\s>/])", re.IGNORECASE)


def _value(quoted: str) -> str:
    return unescape(quoted.strip("\"'")).strip()


class HTMLScan:
    """Links with their anchor text and nearest ``lang``; ``lang`` values; text.

    Regular expressions, not :class:`html.parser.HTMLParser` (about ten times
    faster; mail HTML only needs ``lang`` scopes and ``href``). A ``lang``
    element's scope ends at its balanced closing tag; a link takes the
    innermost scope around it. Exact for well-formed markup, lenient otherwise.
    """

    def __init__(self, default_lang: str | None = None) -> None:
        self.default_lang = default_lang
        self.langs: list[str] = []
        self.links: list[Link] = []
        self.text = ""

    def feed(self, html: str) -> None:
        html = _SKIP.sub(" ", html)
        scopes: list[tuple[int, int, str]] = []
        for match in _LANG_TAG.finditer(html):
            value = _value(match.group(2))
            if not value:
                continue
            self.langs.append(value)
            if not match.group(0).endswith("/>"):
                scopes.append((match.start(), _scope_end(html, match), value))
        for match in _ANCHOR.finditer(html):
            href = _HREF.search(match.group(1))
            if href is None:
                continue
            where = match.start()
            inside = [s for s in scopes if s[0] <= where < s[1]]
            lang: str | None = max(inside)[2] if inside else self.default_lang
            text = _SPACE.sub(" ", unescape(_ANY_TAG.sub(" ", match.group(2)))).strip()
            self.links.append(Link(url=_value(href.group(1)), text=text, part="html", lang=lang))
        self.text = unescape(_ANY_TAG.sub(" ", html))


def _scope_end(html: str, opening: re.Match[str]) -> int:
    """Where the element opened by ``opening`` closes (its balanced end tag)."""
    depth = 0
    for match in _open_close(opening.group(1).lower()).finditer(html, opening.end()):
        if not match.group(1):
            depth += 1
        elif depth:
            depth -= 1
        else:
            return match.start()
    return len(html)


def scan_html(html: str, default_lang: str | None = None) -> HTMLScan:
    """Scan ``html`` once; links outside any ``lang`` element get ``default_lang``."""
    scan = HTMLScan(default_lang)
    scan.feed(html)
    return scan
