"""axe-core (vendored from npm under ``tests/devsmtp/vendor``) run in a Playwright page."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parent / "devsmtp" / "vendor" / "axe.min.js"


#: The WCAG 2.x level A and AA rules, without axe's best-practice rules.
WCAG_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")


def axe_violations(page: Page, tags: tuple[str, ...] | None = None) -> list[str]:
    """axe-core's violations on the page (rule id, impact, first targets); with
    ``tags``, only the rules that carry one of them (e.g. :data:`WCAG_AA`)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, object]] = page.evaluate(
        "async (tags) => (await axe.run(document, tags ? {resultTypes: ['violations'], "
        "runOnly: {type: 'tag', values: tags}} : {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, target: v.nodes.map(n => n.target.join(' '))"
        ".slice(0, 3)}))", list(tags) if tags else None)
    return [f"{item['id']} ({item['impact']}): {item['target']}" for item in found]
