"""Branding of the mail: who it is from and how it looks.

A :class:`Theme` is plain data; the renderer turns it into CSS once, when it
loads its templates. :data:`POSTI` is the default. Other brands load a theme
from a TOML file (``[theme]`` table with the field names below) or build one
in code with :func:`dataclasses.replace`.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from invitations.errors import ConfigurationError

_COLOUR = re.compile(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?")


@dataclass(frozen=True)
class Theme:
    """Sender name, portal name, colours, logo and customer service link."""

    #: Display name in the From header when the sender setting gives none.
    sender_name: str = "Posti"
    #: Shown in the mail's header bar (and as the logo's alt text).
    portal_name: str = "Posti"
    #: Header bar, links and the registration button.
    primary_colour: str = "#f96b00"
    #: Text on the primary colour (dark: white on orange is too faint to read).
    on_primary_colour: str = "#1d1d1b"
    #: Links on the card; darker than the brand orange for 4.5:1 contrast.
    link_colour: str = "#b84a00"
    text_colour: str = "#1d1d1b"
    muted_colour: str = "#5f6368"
    background_colour: str = "#f4f4f4"
    card_colour: str = "#ffffff"
    #: The line between language sections.
    rule_colour: str = "#dddddd"
    #: Dark mode (``prefers-color-scheme: dark``): the button keeps the brand
    #: colour with :attr:`on_primary_colour`; everything else takes these.
    dark_background_colour: str = "#121212"
    dark_card_colour: str = "#1e1e1e"
    dark_text_colour: str = "#f1f1f1"
    dark_muted_colour: str = "#b8b8b8"
    dark_link_colour: str = "#ff9a4d"
    dark_rule_colour: str = "#3a3a3a"
    #: Optional logo (absolute https URL); without it the portal name is shown as text.
    logo_url: str | None = None
    logo_width: int = 120
    logo_height: int = 40
    #: Where a main user whose invitation expired gets help (the chat lives there);
    #: the page for languages :attr:`customer_service_urls` does not name.
    customer_service_url: str = "https://www.posti.fi/fi/asiakastuki"
    #: The customer service page per language, as ``(lang, url)`` pairs (a TOML
    #: file or the constructor may give a table/dict; it is stored as pairs).
    customer_service_urls: tuple[tuple[str, str], ...] = (
        ("fi", "https://www.posti.fi/fi/asiakastuki"),
        ("sv", "https://www.posti.fi/sv/kundsupport"),
        ("en", "https://www.posti.fi/en/customer-support"),
    )
    font_family: str = "Arial, Helvetica, sans-serif"

    def __post_init__(self) -> None:
        urls: Any = self.customer_service_urls
        if isinstance(urls, Mapping):
            urls = tuple(urls.items())
        try:
            pairs = tuple((str(lang), str(url)) for lang, url in urls)
        except (TypeError, ValueError):
            raise ConfigurationError(
                "theme customer_service_urls must map languages to URLs, e.g. "
                '{ sv = "https://example.fi/sv/kundservice" }'
            ) from None
        object.__setattr__(self, "customer_service_urls", pairs)
        for field in dataclasses.fields(self):
            if field.name.endswith("_colour") and not _COLOUR.fullmatch(getattr(self, field.name)):
                raise ConfigurationError(
                    f"theme colour {field.name}={getattr(self, field.name)!r} is not #rgb or "
                    "#rrggbb; fix the theme"
                )
        urls = [("logo_url", self.logo_url), ("customer_service_url", self.customer_service_url)]
        urls += [(f"customer_service_urls.{lang}", url) for lang, url in pairs]
        for name, url in urls:
            if url is not None and not url.startswith(("https://", "http://")):
                raise ConfigurationError(f"theme {name}={url!r} must be an absolute http(s) URL")
            if url is not None and any(ch in url for ch in ' \r\n<>"'):
                raise ConfigurationError(f"theme {name}={url!r} contains a space or markup")
        for name in ("sender_name", "portal_name", "font_family"):
            if any(ch in getattr(self, name) for ch in "\r\n<>{};"):
                raise ConfigurationError(f"theme {name} contains a line break or markup")

    def customer_service_for(self, lang: str) -> str:
        """The customer service page in ``lang`` (else :attr:`customer_service_url`)."""
        return dict(self.customer_service_urls).get(lang, self.customer_service_url)


#: The default theme: Posti's business customer portal.
POSTI = Theme()

THEMES: dict[str, Theme] = {"posti": POSTI}


def load_theme(spec: str | Path | None = None) -> Theme:
    """Return the theme named ``spec`` (``"posti"``) or read it from a TOML file.

    ``None`` or ``""`` gives :data:`POSTI`. A file holds a ``[theme]`` table;
    fields it leaves out keep Posti's values.
    """
    if spec is None or spec == "":
        return POSTI
    if isinstance(spec, str) and spec in THEMES:
        return THEMES[spec]
    path = Path(spec)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(
            f"theme {str(spec)!r} is neither a known theme ({', '.join(THEMES)}) nor a file"
        ) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"theme file {path} cannot be read: {exc}") from None
    table = data.get("theme")
    if not isinstance(table, dict):
        raise ConfigurationError(f"theme file {path} has no [theme] table")
    known = {f.name for f in dataclasses.fields(Theme)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigurationError(f"theme file {path}: unknown keys {', '.join(unknown)}")
    if "customer_service_url" in table and "customer_service_urls" not in table:
        # Another brand's page: Posti's per-language pages must not stay behind.
        table = {**table, "customer_service_urls": ()}
    try:
        return dataclasses.replace(POSTI, **table)
    except TypeError as exc:
        raise ConfigurationError(f"theme file {path}: {exc}") from None
