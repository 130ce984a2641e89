"""HTML client compatibility of a mail's HTML part, from caniemail.com data.

:func:`html_compatibility` finds the HTML elements and attributes, CSS
properties, values, units, at-rules and selectors the HTML uses (standard
library parser plus :mod:`devsmtp.checks._css`), looks each up in the
vendored caniemail snapshot (``data/caniemail.json``, see ``data/README.md``)
and scores each client family.

Scoring follows Mailpit's HTML check: a feature's *unsupported* share for a
client family is the share of that family's platforms answering "n" (and
*partial* those answering "a"), weighted by how often the feature occurs
relative to the number of elements (capped at 1); the family's unsupported
score is the largest weighted share of any feature, likewise partial, and
``supported = 100 - partial - unsupported`` (partial capped so that it never
goes below zero). Unlike Mailpit, each platform
counts with its latest tested version (old versions no longer in use do not
weigh), and the report names the clients per feature and the source lines.
Works offline: nothing is fetched (remote stylesheets are not read).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ._css import CSSScan, scan_declarations, scan_stylesheet
from ._markup import HTMLDocument, read_html

__all__ = [
    "CLIENTS",
    "ClientScore",
    "CompatReport",
    "Feature",
    "caniemail_source",
    "html_compatibility",
]

DATA = Path(__file__).resolve().parent / "data" / "caniemail.json"
FEATURE_URL = "https://www.caniemail.com/features/{slug}/"


@cache
def _data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return loaded


def caniemail_source() -> dict[str, str]:
    """Which caniemail snapshot is vendored: package version, data date, snapshot date."""
    return dict(_data()["source"])


#: The client families scored, in report order.
CLIENTS: tuple[str, ...] = (
    "outlook-windows", "outlook-com", "gmail", "apple-mail", "yahoo", "samsung-email")


@dataclass(frozen=True)
class ClientScore:
    """One client family's score, in percent (Mailpit's three numbers)."""

    client: str
    name: str
    supported: float
    partial: float
    unsupported: float

    def to_dict(self) -> dict[str, object]:
        return {"client": self.client, "name": self.name, "supported": self.supported,
                "partial": self.partial, "unsupported": self.unsupported}


@dataclass(frozen=True)
class Feature:
    """One feature the HTML uses and some scored client lacks."""

    slug: str
    title: str
    category: str
    url: str
    #: 1-based line in the HTML source of the first use.
    line: int
    #: Every line it is used on (sorted, without repeats).
    lines: tuple[int, ...]
    #: How many times it is used.
    count: int
    #: Client families where no platform supports it ("n").
    unsupported: tuple[str, ...]
    #: Client families where it is partly supported ("a", or some platforms only).
    partial: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {"slug": self.slug, "title": self.title, "category": self.category,
                "url": self.url, "line": self.line, "lines": list(self.lines),
                "count": self.count, "unsupported": list(self.unsupported),
                "partial": list(self.partial)}


@dataclass(frozen=True)
class CompatReport:
    """What :func:`html_compatibility` found."""

    clients: tuple[str, ...]
    #: One score per client family, in ``clients`` order.
    scores: tuple[ClientScore, ...]
    #: All scored families together (Mailpit's single total).
    total: ClientScore
    #: Features some client lacks, worst first.
    unsupported: tuple[Feature, ...]
    #: Slugs of every caniemail feature found, supported or not.
    found: tuple[str, ...]
    #: Elements counted for weighting.
    nodes: int
    source: dict[str, str] = field(default_factory=dict)

    def score(self, client: str) -> ClientScore:
        return next(s for s in self.scores if s.client == client)

    def to_dict(self) -> dict[str, object]:
        return {
            "clients": list(self.clients),
            "scores": [score.to_dict() for score in self.scores],
            "total": self.total.to_dict(),
            "unsupported": [feature.to_dict() for feature in self.unsupported],
            "found": list(self.found),
            "nodes": self.nodes,
            "source": self.source,
        }


# -- detection: HTML

_TAGS: dict[str, str] = {
    "abbr": "html-abbr", "acronym": "html-acronym", "address": "html-address",
    "audio": "html-audio", "base": "html-base", "bdi": "html-bdi",
    "blockquote": "html-blockquote", "body": "html-body", "code": "html-code",
    "del": "html-del", "dfn": "html-dfn", "dialog": "html-dialog", "div": "html-div",
    "form": "html-form", "hr": "html-hr", "img": "html-img", "link": "html-link",
    "ul": "html-lists", "ol": "html-lists", "dl": "html-lists", "marquee": "html-marquee",
    "meter": "html-meter", "object": "html-object", "embed": "html-object", "p": "html-p",
    "picture": "html-picture", "pre": "html-pre", "progress": "html-progress",
    "rp": "html-rp", "rt": "html-rt", "ruby": "html-ruby", "select": "html-select",
    "small": "html-small", "span": "html-span", "strike": "html-strike",
    "strong": "html-strong", "style": "html-style", "svg": "html-svg", "table": "html-table",
    "textarea": "html-textarea", "video": "html-video", "wbr": "html-wbr", "map": "html-image-maps",
    **{f"h{n}": "html-h1-h6" for n in range(1, 7)},
    **{tag: "html-semantics" for tag in ("article", "aside", "details", "figcaption", "figure",
                                          "footer", "header", "main", "mark", "nav", "section",
                                          "summary", "time")},
}

_ATTRIBUTES: dict[str, str] = {
    "align": "html-align", "background": "html-background", "cellpadding": "html-cellpadding",
    "cellspacing": "html-cellspacing", "dir": "html-dir", "height": "html-height",
    "width": "html-width", "hidden": "html-hidden", "lang": "html-lang",
    "loading": "html-loading-attribute", "required": "html-required", "role": "html-role",
    "srcset": "html-srcset", "target": "html-target", "valign": "html-valign",
    "popover": "html-popover", "aria-describedby": "html-aria-describedby",
    "aria-hidden": "html-aria-hidden", "aria-label": "html-aria-label",
    "aria-labelledby": "html-aria-labelledby", "aria-live": "html-aria-live",
    "usemap": "html-image-maps",
}

_INPUTS = {"checkbox": "html-input-checkbox", "hidden": "html-input-hidden",
           "radio": "html-input-radio", "reset": "html-input-reset",
           "submit": "html-input-submit", "text": "html-input-text"}

_IMAGES = [
    (re.compile(r"^data:image/", re.IGNORECASE), "image-base64"),
    *((re.compile(rf"\.(?:{ext})(?:[?#].*)?$", re.IGNORECASE), slug) for ext, slug in (
        ("apng", "image-apng"), ("avif", "image-avif"), ("bmp", "image-bmp"),
        ("gif", "image-gif"), ("hdr", "image-hdr"), ("heif|heic", "image-heif"),
        ("ico", "image-ico"), ("jpe?g", "image-jpg"), ("mp4", "image-mp4"),
        ("png", "image-png"), ("svg", "image-svg"), ("tiff?", "image-tiff"),
        ("webp", "image-webp"))),
]


def _html_uses(document: HTMLDocument) -> Iterable[tuple[str, int]]:
    if document.doctype is not None:
        yield "html-doctype", document.doctype
    for _text, line in document.comments:
        yield "html-comments", line
    for element in document.elements:
        tag, attrs, line = element.tag, element.attrs, element.line
        if tag in _TAGS:
            yield _TAGS[tag], line
        for name in attrs:
            if name in _ATTRIBUTES:
                yield _ATTRIBUTES[name], line
        if tag == "a":
            href = attrs.get("href", "").strip().lower()
            if href.startswith("#"):
                yield "html-anchor-links", line
            elif href.startswith("mailto:"):
                yield "html-mailto-links", line
        elif tag == "input":
            kind = attrs.get("type", "text").strip().lower() or "text"
            if kind in _INPUTS:
                yield _INPUTS[kind], line
        elif tag == "button":
            kind = attrs.get("type", "submit").strip().lower()
            if kind in ("reset", "submit"):
                yield f"html-button-{kind}", line
        elif tag == "meta" and attrs.get("name", "").lower() in ("color-scheme",
                                                                   "supported-color-schemes"):
            yield "html-meta-color-scheme", line
        if tag in ("img", "source"):
            for source in (attrs.get("src", ""), *attrs.get("srcset", "").split(",")):
                url = source.strip().split(" ")[0]
                for pattern, slug in _IMAGES:
                    if url and pattern.search(url):
                        yield slug, line
                        break


# -- detection: CSS

#: Properties whose caniemail feature is not ``css-<property>``.
_PROPERTY_FEATURES: dict[str, str] = {
    "left": "css-left-right-top-bottom", "right": "css-left-right-top-bottom",
    "top": "css-left-right-top-bottom", "bottom": "css-left-right-top-bottom",
    "block-size": "css-block-inline-size", "columns": "css-column-layout-properties",
    "column-fill": "css-column-layout-properties", "column-rule": "css-column-layout-properties",
    "column-span": "css-column-layout-properties", "column-width": "css-column-layout-properties",
    "row-gap": "css-gap", "column-gap": "css-gap", "border-block": "css-border-inline-block",
    "border-inline": "css-border-inline-block", "text-wrap-mode": "css-text-wrap",
    "text-wrap-style": "css-text-wrap", "overflow-x": "css-overflow", "overflow-y": "css-overflow",
    "border-collapse": "css-border-collapse", "list-style-type": "css-list-style-type",
    "font-family": "css-font", "font-style": "css-font", "font-variant": "css-font",
    "background-attachment": "css-background",
}

_PREFIXED: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(margin|padding)-(?:block|inline)$"), "css-{0}-inline-block"),
    (re.compile(r"^(margin|padding)-(?:block)-(?:start|end)$"), "css-{0}-block-start-end"),
    (re.compile(r"^(margin|padding)-(?:inline)-(?:start|end)$"), "css-{0}-inline-start-end"),
    (re.compile(r"^(margin|padding)-(?:top|right|bottom|left)$"), "css-{0}"),
    (re.compile(r"^border-(?:block|inline)-(?:start|end)-(?:color|style|width)$"),
     "css-border-inline-block-longhand"),
    (re.compile(r"^border-(?:block|inline)-(?:start|end|color|style|width)$"),
     "css-border-inline-block-individual"),
    (re.compile(r"^border-(?:start|end)-(?:start|end)-radius$"), "css-border-radius-logical"),
    (re.compile(r"^border-(?:top|bottom)-(?:left|right)-radius$"), "css-border-radius"),
    (re.compile(r"^border-(?:top|right|bottom|left)(?:-(?:color|style|width))?$"), "css-border"),
    (re.compile(r"^border-(?:color|style|width)$"), "css-border"),
    (re.compile(r"^border-image-\w+$"), "css-border-image"),
    (re.compile(r"^column-rule-\w+$"), "css-column-layout-properties"),
    (re.compile(r"^grid-template-\w+$"), "css-grid-template"),
    (re.compile(r"^animation(?:-[\w-]+)?$"), "css-animation"),
    (re.compile(r"^transition(?:-[\w-]+)?$"), "css-transition"),
    (re.compile(r"^scroll-snap-\w+$"), "css-scroll-snap"),
    (re.compile(r"^mask(?:-image)?$"), "css-mask-image"),
    (re.compile(r"^list-style-\w+$"), "css-list-style"),
]

_VALUE_FEATURES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\brgb\(", re.IGNORECASE), "css-rgb"),
    (re.compile(r"\brgba\(", re.IGNORECASE), "css-rgba"),
    (re.compile(r"\b(?:repeating-)?linear-gradient\(", re.IGNORECASE), "css-linear-gradient"),
    (re.compile(r"\b(?:repeating-)?radial-gradient\(", re.IGNORECASE), "css-radial-gradient"),
    (re.compile(r"\b(?:repeating-)?conic-gradient\(", re.IGNORECASE), "css-conic-gradient"),
    (re.compile(r"\bcalc\(", re.IGNORECASE), "css-unit-calc"),
    (re.compile(r"\bclamp\(", re.IGNORECASE), "css-function-clamp"),
    (re.compile(r"(?<![\w-])min\(", re.IGNORECASE), "css-function-min"),
    (re.compile(r"(?<![\w-])max\(", re.IGNORECASE), "css-function-max"),
    (re.compile(r"\blight-dark\(", re.IGNORECASE), "css-function-light-dark"),
    (re.compile(r"\bvar\(\s*--", re.IGNORECASE), "css-variables"),
    (re.compile(r"\b(?:ok)?(?:lch|lab)\(", re.IGNORECASE), "css-modern-color"),
    (re.compile(r"\b(?:fit|min|max)-content\b", re.IGNORECASE), "css-intrinsic-size"),
    (re.compile(r"\bui-(?:serif|sans-serif|rounded|monospace)\b|\bsystem-ui\b",
                re.IGNORECASE), "css-sytem-ui"),
    (re.compile(r"^\s*initial\s*$", re.IGNORECASE), "css-unit-initial"),
]

_UNITS = re.compile(r"(?<![\w#.-])(?:\d+\.?\d*|\.\d+)(px|em|rem|ex|ch|vh|vw|vmin|vmax|cm|mm|in|pt|"
                    r"pc|%)(?![\w-])", re.IGNORECASE)

_MEDIA_FEATURES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"prefers-color-scheme", re.IGNORECASE), "css-at-media-prefers-color-scheme"),
    (re.compile(r"prefers-reduced-motion", re.IGNORECASE),
     "css-at-media-prefers-reduced-motion"),
    (re.compile(r"\borientation\b", re.IGNORECASE), "css-at-media-orientation"),
    (re.compile(r"\(\s*(?:any-)?hover\b", re.IGNORECASE), "css-at-media-hover"),
    (re.compile(r"device-pixel-ratio|\bresolution\b", re.IGNORECASE),
     "css-at-media-device-pixel-ratio"),
]

_PSEUDO = re.compile(r"(::?)([a-zA-Z-]+)")
_PSEUDO_ELEMENTS = {"after", "before", "first-letter", "first-line", "marker", "placeholder"}
_SELECTOR_PARTS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?<![\w-])\.[A-Za-z_-]"), "css-selector-class"),
    (re.compile(r"#[A-Za-z_-]"), "css-selector-id"),
    (re.compile(r"(?:^|[\s>+~,(])[a-zA-Z][a-zA-Z0-9]*(?![\w-])"), "css-selector-type"),
    (re.compile(r"\*"), "css-selector-universal"),
    (re.compile(r"\["), "css-selector-attribute"),
    (re.compile(r">"), "css-selector-child"),
    (re.compile(r"\+"), "css-selector-adjacent-sibling"),
    (re.compile(r"~"), "css-selector-general-sibling"),
    (re.compile(r","), "css-selector-grouping"),
    (re.compile(r"[.#][\w-]+[.#\[]"), "css-selector-chaining"),
    (re.compile(r"[\w\]\)*.#-]\s+[\w.#*\[:]"), "css-selector-descendant"),
]


def _property_feature(prop: str, known: dict[str, Any]) -> str | None:
    name = re.sub(r"^-(?:webkit|moz|ms|o)-", "", prop)
    if name in _PROPERTY_FEATURES:
        return _PROPERTY_FEATURES[name]
    if f"css-{name}" in known:
        return f"css-{name}"
    for pattern, slug in _PREFIXED:
        match = pattern.match(name)
        if match:
            found = slug.format(*match.groups())
            return found if found in known else None
    return None


def _css_uses(scan: CSSScan, known: dict[str, Any]) -> Iterable[tuple[str, int]]:
    for line in scan.comments:
        yield "css-comments", line
    for declaration in scan.declarations:
        line, prop, value = declaration.line, declaration.prop, declaration.value
        if prop.startswith("--"):
            yield "css-variables", line
        else:
            slug = _property_feature(prop, known)
            if slug:
                yield slug, line
        if prop == "display":
            kind = value.strip().lower()
            yield "css-display", line
            if kind in ("flex", "inline-flex"):
                yield "css-display-flex", line
            elif kind in ("grid", "inline-grid"):
                yield "css-display-grid", line
            elif kind == "none":
                yield "css-display-none", line
        if declaration.important:
            yield "css-important", line
        for pattern, slug in _VALUE_FEATURES:
            if pattern.search(value):
                yield slug, line
        for unit in {match.group(1).lower() for match in _UNITS.finditer(value)}:
            yield ("css-unit-percent" if unit == "%" else f"css-unit-{unit}"), line
    for rule in scan.at_rules:
        name, line = rule.name, rule.line
        if name == "font-face":
            yield "css-at-font-face", line
        elif name == "import":
            yield "css-at-import", line
        elif name.endswith("keyframes"):
            yield "css-at-keyframes", line
        elif name == "supports":
            yield "css-at-supports", line
        elif name == "media":
            yield "css-at-media", line
            for pattern, slug in _MEDIA_FEATURES:
                if pattern.search(rule.prelude):
                    yield slug, line
    for selector in scan.selectors:
        text, line = selector.text, selector.line
        if selector.nested or "&" in text:
            yield "css-nesting", line
        for colons, name in _PSEUDO.findall(text):
            name = name.lower()
            kind = "element" if colons == "::" or name in _PSEUDO_ELEMENTS else "class"
            slug = f"css-pseudo-{kind}-{name}"
            if slug in known:
                yield slug, line
        bare = re.sub(r"\([^)]*\)", "()", re.sub(r"\[[^\]]*\]", "[]", text))
        for pattern, slug in _SELECTOR_PARTS:
            if pattern.search(bare):
                yield slug, line


def _uses(html: str) -> tuple[dict[str, list[int]], int]:
    known = _data()["features"]
    document = read_html(html)
    found: dict[str, list[int]] = {}

    def add(pairs: Iterable[tuple[str, int]]) -> None:
        for slug, line in pairs:
            if slug in known:
                found.setdefault(slug, []).append(line)

    add(_html_uses(document))
    for element in document.elements:
        style = element.attrs.get("style")
        if style:
            add(_css_uses(scan_declarations(style, element.style_line), known))
    for css, first in document.styles:
        add(_css_uses(scan_stylesheet(css, first), known))
    return found, document.nodes


def _letters(support: str) -> tuple[int, int, int]:
    """``(yes, partial, no)`` platform counts of a support string such as ``"yyan"``."""
    return support.count("y"), support.count("a"), support.count("n")


def html_compatibility(html: str, clients: Sequence[str] | None = None) -> CompatReport:
    """Score ``html`` for each client family (default: all of :data:`CLIENTS`).

    ``clients`` are keys of :data:`CLIENTS` (``"outlook-windows"``, ``"gmail"``...);
    an unknown key raises :class:`ValueError`.
    """
    data = _data()
    chosen = tuple(clients) if clients else CLIENTS
    unknown = [client for client in chosen if client not in data["clients"]]
    if unknown:
        raise ValueError(f"unknown client family {', '.join(unknown)}; "
                         f"known: {', '.join(CLIENTS)}")
    found, nodes = _uses(html)
    features = data["features"]

    def weight(count: int) -> float:
        return min(1.0, count / nodes)

    scores: list[ClientScore] = []
    for client in (*chosen, None):
        worst_partial = worst_no = 0.0
        for slug, lines in found.items():
            support = (features[slug]["support"][client] if client
                       else "".join(features[slug]["support"][c] for c in chosen))
            yes, partial, no = _letters(support)
            total = yes + partial + no
            if not total:
                continue
            worst_partial = max(worst_partial, 100 * partial / total * weight(len(lines)))
            worst_no = max(worst_no, 100 * no / total * weight(len(lines)))
        # The worst partial and the worst unsupported feature may differ: together
        # they may not pass 100 (Mailpit's sum can go below zero).
        worst_partial = min(worst_partial, 100 - worst_no)
        scores.append(ClientScore(
            client or "all", data["clients"][client]["name"] if client else "All",
            round(100 - worst_partial - worst_no, 2), round(worst_partial, 2), round(worst_no, 2)))
    lacking: list[tuple[float, Feature]] = []
    for slug, lines in found.items():
        entry = features[slug]
        no_clients: list[str] = []
        partial_clients: list[str] = []
        badness = 0.0
        for client in chosen:
            yes, partial, no = _letters(entry["support"][client])
            total = yes + partial + no
            if not total or yes == total:
                continue
            if no == total:
                no_clients.append(client)
            else:
                partial_clients.append(client)
            badness += (no + partial / 2) / total
        if no_clients or partial_clients:
            unique = tuple(sorted(set(lines)))
            lacking.append((badness * weight(len(lines)), Feature(
                slug, entry["title"], entry["category"], FEATURE_URL.format(slug=slug),
                unique[0], unique, len(lines), tuple(no_clients), tuple(partial_clients))))
    lacking.sort(key=lambda pair: (-pair[0], pair[1].line, pair[1].slug))
    return CompatReport(
        clients=chosen,
        scores=tuple(scores[:-1]),
        total=scores[-1],
        unsupported=tuple(feature for _badness, feature in lacking),
        found=tuple(sorted(found)),
        nodes=nodes,
        source=caniemail_source(),
    )
