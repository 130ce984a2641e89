"""The template's promises (issue 17, part 1), checked on the rendered mail."""

from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner

from invitations.cli.preview import preview
from invitations.rendering import renderer_for
from invitations.rendering.plaintext import WIDTH, layout_text
from invitations.rendering.samples import sample_invitation
from invitations.theme import POSTI, Theme, load_theme
from tests.mail.variants import VARIANTS, rendered

URL = re.compile(r"https?://\S+")


def test_wrapper_is_an_article_with_language_and_direction() -> None:
    html = rendered("invitation-sv-fi-en").html
    wrapper = re.search(r"<div [^>]*role=\"article\"[^>]*>", html)
    assert wrapper is not None
    for attribute in ('aria-roledescription="email"', 'lang="sv"', 'dir="ltr"', "aria-label="):
        assert attribute in wrapper.group(0)
    for lang in ("sv", "fi", "en"):
        assert f'<div class="section" lang="{lang}" dir="ltr">' in html


def test_bulletproof_button_then_the_address_to_copy() -> None:
    html = rendered("invitation-fi-sv-en").html
    cells = re.findall(r'<td class="button-cell"[^>]*>\s*<a class="button"[^>]*>([^<]+)</a>', html)
    assert cells == ["Rekisteröidy", "Registrera dig", "Register"]
    cell = re.search(r'<td class="button-cell"[^>]*>', html)
    assert cell is not None
    assert 'bgcolor="#f96b00"' in cell.group(0) and "mso-padding-alt: 14px 28px" in cell.group(0)
    fallback = re.findall(r'<td class="fallback-cell" style="([^"]*)">([^<]*)<br>', html)
    assert [text for _, text in fallback] == [
        "Käyttäjärekisteröinti tehdään osoitteessa", "Användarregistreringen görs på adressen",
        "User registration is done at"]
    assert all("word-break: break-word" in style and "font-size: 13px" in style
               for style, _ in fallback)
    assert "break-all" not in html and 'target="' not in html


def test_outlook_gets_its_fixed_table_pixels_per_inch_and_exact_line_heights() -> None:
    html = rendered("invitation-fi-sv-en").html
    assert "<!--[if mso]><table role=\"presentation\" align=\"center\" width=\"600\"" in html
    assert "<o:PixelsPerInch>96</o:PixelsPerInch>" in html
    assert 'xmlns:o="urn:schemas-microsoft-com:office:office"' in html
    styles = re.findall(r'style="([^"]*line-height[^"]*)"', html)
    assert styles and all("mso-line-height-rule: exactly" in s for s in styles)
    card = re.search(r'<table class="card"[^>]*>', html)
    assert card is not None and 'width="100%"' in card.group(0)
    assert "max-width: 600px" in card.group(0)
    # Outside Outlook's conditional comments nothing is wider than a phone.
    visible = re.sub(r"<!--.*?-->|<style>.*?</style>", "", html, flags=re.DOTALL)
    assert not re.search(r'width="[2-9]\d\d"|(?<![-\w])width: [2-9]\d\dpx', visible)


def test_dark_mode_only_with_its_rules_and_a_preheader_without_colour() -> None:
    html = rendered("invitation-fi").html
    style = re.search(r"<style>(.*?)</style>", html, re.DOTALL)
    assert style is not None and "@media (prefers-color-scheme: dark)" in style.group(1)
    assert "color-scheme: light dark" in style.group(1)
    assert '<meta name="color-scheme" content="light dark">' in html
    preheader = re.search(r'<div class="preheader" style="([^"]*)"', html)
    assert preheader is not None and "display: none" in preheader.group(1)
    assert "color" not in preheader.group(1)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_text_part_wraps_prose_and_gives_urls_their_own_lines(name: str) -> None:
    text = rendered(name).text
    for line in text.splitlines():
        urls = URL.findall(line)
        if urls:
            assert urls == [line], f"a URL shares its line: {line!r}"
        else:
            assert len(line) <= WIDTH, f"{len(line)} columns: {line!r}"


def test_layout_text_never_breaks_a_url() -> None:
    long_url = "https://portal.example.fi/register?token=" + "x" * 120
    laid = layout_text("Open " + long_url + " now, please. " + "word " * 30)
    assert long_url in laid.splitlines()
    assert all(len(line) <= WIDTH for line in laid.splitlines() if line != long_url)


def test_customer_service_pages_per_language_in_the_theme(tmp_path: Path) -> None:
    assert POSTI.customer_service_for("sv") != POSTI.customer_service_for("fi")
    assert POSTI.customer_service_for("de") == POSTI.customer_service_url
    html = rendered("invitation-main-user").html
    for lang in ("fi", "sv", "en"):
        assert f'href="{POSTI.customer_service_for(lang)}"' in html
    theme_file = tmp_path / "theme.toml"
    theme_file.write_text('[theme]\ncustomer_service_url = "https://help.example.fi/"\n'
                          '[theme.customer_service_urls]\nsv = "https://help.example.fi/sv"\n')
    theme = load_theme(theme_file)
    assert theme.customer_service_for("sv") == "https://help.example.fi/sv"
    assert theme.customer_service_for("en") == "https://help.example.fi/"
    hash(theme)  # renderers are cached per theme
    with pytest.raises(Exception, match="absolute"):
        Theme(customer_service_urls={"sv": "javascript:alert(1)"})


def _parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=policy.default)  # type: ignore[return-value]


def test_exchange_auto_replies_are_suppressed() -> None:
    message = _parse(renderer_for().compose_invitation(sample_invitation()).data)
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["Auto-Submitted"] == "auto-generated"


def test_idn_domain_goes_out_as_a_label_without_smtputf8() -> None:
    outgoing = renderer_for().compose_invitation(sample_invitation(to_email="matti@hyvä.fi"))
    assert outgoing.smtputf8 is False and outgoing.data.isascii()
    assert outgoing.recipients == ("matti@xn--hyv-sla.fi",)
    assert _parse(outgoing.data)["To"].addresses[0].domain == "xn--hyv-sla.fi"
    # A non-ASCII local part still needs SMTPUTF8 (and keeps its domain as written).
    utf8 = renderer_for().compose_invitation(sample_invitation(to_email="pää@hyvä.fi"))
    assert utf8.smtputf8 is True and utf8.recipients == ("pää@hyvä.fi",)
    sender = renderer_for().compose_invitation(
        sample_invitation(sender="Posti <noreply@pösti.fi>"))
    assert sender.smtputf8 is False and sender.sender == "noreply@xn--psti-5qa.fi"


def test_preview_quotes_the_from_display_name(tmp_path: Path) -> None:
    theme_file = tmp_path / "theme.toml"
    theme_file.write_text('[theme]\nsender_name = "Posti (Asiakaspalvelu)"\n')
    result = CliRunner().invoke(preview, ["--theme", str(theme_file), "--format", "eml"])
    assert result.exit_code == 0, result.output
    message = _parse(result.stdout_bytes)
    assert message["From"].addresses[0].display_name == "Posti (Asiakaspalvelu)"
    assert result.stdout_bytes.startswith(b'From: "Posti (Asiakaspalvelu)" <noreply@posti.fi>')
