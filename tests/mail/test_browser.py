"""The mail in headless Chromium: every width a phone or desktop client gives it,
with and without the <style> block (clients that drop it), light, dark
(prefers-color-scheme), Chromium's forced dark algorithm (the stand-in for
clients that invert colours) and forced colours (high contrast)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright

# The suite's one Playwright fixture (session-wide) is in tests/conftest.py.
from tests.axe import WCAG_AA, axe_violations
from tests.conftest import CHROMIUM_ARGS, chromium_path
from tests.mail.pixels import contrast, parse_css_colour, text_contrast
from tests.mail.variants import rendered

pytestmark = pytest.mark.browser

DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
WIDTHS = (320, 375, 600)
MODES = ("light", "dark", "forced-dark", "forced-colors")
_STYLE = re.compile(r"<style>.*?</style>", re.DOTALL)


def without_style(html: str) -> str:
    """What Gmail with a non-Google account, Yahoo on Android and some Samsung
    Email versions show: the <style> block gone, the inline styles kept."""
    stripped = _STYLE.sub("", html, count=1)
    assert stripped != html and "@media" not in re.sub(r"<!--.*?-->", "", stripped,
                                                       flags=re.DOTALL)
    return stripped


@pytest.fixture(scope="session")
def browsers(request: pytest.FixtureRequest) -> Iterator[dict[str, Browser]]:
    pw: Playwright = request.getfixturevalue("playwright")
    path = chromium_path()
    plain = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
    # Chromium's auto dark mode: it inverts light pages by its own algorithm.
    dark = pw.chromium.launch(
        executable_path=path, headless=True,
        args=[*CHROMIUM_ARGS, "--force-dark-mode", "--blink-settings=forceDarkModeEnabled=true"])
    yield {"plain": plain, "forced-dark": dark}
    plain.close()
    dark.close()


def open_mail(browsers: dict[str, Browser], html: str, width: int, mode: str) -> Page:
    browser = browsers["forced-dark" if mode == "forced-dark" else "plain"]
    page = browser.new_page(
        viewport={"width": width, "height": 800},
        color_scheme="dark" if mode == "dark" else "light",
        forced_colors="active" if mode == "forced-colors" else "none",
    )
    page.set_content(html, wait_until="load")
    return page


def scroll_width(page: Page) -> int:
    return int(page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"))


@pytest.mark.parametrize("styled", [True, False], ids=["with-style", "without-style"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("width", WIDTHS)
def test_no_sideways_scroll_and_a_readable_header(
    browsers: dict[str, Browser], width: int, mode: str, styled: bool,
) -> None:
    for variant in ("invitation-fi-sv-en", "invitation-main-user", "confirmation"):
        html = rendered(variant).html
        page = open_mail(browsers, html if styled else without_style(html), width, mode)
        try:
            assert scroll_width(page) <= width, f"{variant}: scrolls sideways at {width} px"
            ratio, ink, background = text_contrast(page.locator("td.brand").screenshot())
            assert ratio >= 4.5, f"{variant}: header {ink} on {background} is {ratio:.2f}:1"
            ratio, ink, background = text_contrast(page.locator("a.button").first.screenshot())
            assert ratio >= 4.5, f"{variant}: button {ink} on {background} is {ratio:.2f}:1"
            if mode == "forced-dark":  # the algorithm really ran: the card turned dark
                card = text_contrast(page.locator("h1.title").first.screenshot())[2]
                assert max(card) < 80, f"forced dark did not apply: card is {card}"
        finally:
            page.close()


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_button_is_dark_text_on_the_brand_colour(browsers: dict[str, Browser], mode: str) -> None:
    page = open_mail(browsers, rendered("invitation-fi-sv-en").html, 375, mode)
    try:
        buttons = page.locator("a.button")
        assert buttons.all_inner_texts() == ["Rekisteröidy", "Registrera dig", "Register"]
        for index in range(3):
            styles = buttons.nth(index).evaluate(
                "a => [getComputedStyle(a).color, getComputedStyle(a.parentElement)"
                ".backgroundColor, getComputedStyle(a).fontSize]")
            ink, background = parse_css_colour(styles[0]), parse_css_colour(styles[1])
            assert background == parse_css_colour("#f96b00")
            assert contrast(ink, background) >= 4.5 and sum(ink) < sum(background)
            seen = text_contrast(buttons.nth(index).screenshot())[0]
            assert seen >= 4.5, f"button as rendered: {seen:.2f}:1"
        body = page.locator("p.text").first.evaluate("p => getComputedStyle(p).fontSize")
        assert body == "16px"
    finally:
        page.close()


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("variant", ["invitation-fi-sv-en", "invitation-sv", "invitation-en",
                                     "invitation-main-user", "confirmation"])
def test_axe_finds_no_violations(browsers: dict[str, Browser], variant: str, mode: str) -> None:
    """axe-core's WCAG 2.x A/AA rules. Its best-practice landmark rules (one <main>,
    all content in landmarks) are for whole pages: a mail is shown inside the client's
    own page, so it is one role="article" region, as mail accessibility guides advise."""
    page = open_mail(browsers, rendered(variant).html, 375, mode)
    try:
        assert axe_violations(page, WCAG_AA) == [], (variant, mode)
        assert page.locator("[role=article][aria-roledescription=email]").count() == 1
    finally:
        page.close()


@pytest.mark.parametrize("width", [600, 375])
@pytest.mark.parametrize("mode", ["light", "dark"])
def test_screenshots_for_the_docs(browsers: dict[str, Browser], width: int, mode: str) -> None:
    """docs/integrators/mail.md shows these (made here, so they follow the template)."""
    page = open_mail(browsers, rendered("invitation-fi-sv-en").html, width, mode)
    try:
        png = page.screenshot(full_page=True)
    finally:
        page.close()
    target = DOCS_IMAGES / f"mail-{width}-{mode}.png"
    if not target.exists() or target.read_bytes() != png:
        target.write_bytes(png)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
