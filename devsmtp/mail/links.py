"""Links found in a mail, and the invitation link among them.

One :class:`Link` type for the whole package: the arrival summary stores
them, the API lists them, the inbox groups them and the pytest plugin's
:class:`~devsmtp.testing.CapturedMail` asserts on them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

__all__ = ["Link", "invitation_link", "text_links"]

URL = re.compile(r"""https?://[^\s<>"'\])]+""")


@dataclass(frozen=True, slots=True)
class Link:
    """One link: URL, anchor text, part (``html``/``text``) and language.

    ``lang`` is the nearest enclosing element's ``lang`` (HTML), else the
    part's single Content-Language, else None.
    """

    url: str
    text: str = ""
    #: ``"html"`` or ``"text"``: the body part the link was found in.
    part: str = "html"
    lang: str | None = None


def text_links(text: str, lang: str | None = None) -> list[Link]:
    """The ``http(s)://`` URLs of a plain-text body (trailing punctuation left out)."""
    if "://" not in text:
        return []
    return [Link(m.group(0).rstrip(".,;:"), "", "text", lang) for m in URL.finditer(text)]


def _token(url: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get("token")
    return values[0] if values and values[0] else None


def invitation_link(links: Iterable[Link], *, strict: bool = False) -> tuple[str, str] | None:
    """The registration link (``.../register?token=...``) and its token, or None.

    Without ``strict`` any link with a ``token`` parameter is taken when no
    registration link exists (the pytest plugin's looser reading).
    """
    candidates = [(link.url, token) for link in links if (token := _token(link.url))]
    for url, token in candidates:
        if urlsplit(url).path.endswith("/register"):
            return url, token
    if strict or not candidates:
        return None
    return candidates[0]
