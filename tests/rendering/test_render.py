"""What the invitation says: subject, language sections, dates, escaping, layout."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser

import css_inline
import pytest

from invitations.rendering import InvitationEmail, Renderer, renderer_for
from invitations.theme import POSTI, Theme

SUBJECT = "Kutsu käyttäjäksi / Inbjudan att bli användare / User invitation"
FINNISH_DOCUMENT_TEXT = (
    "Tämä on kutsu rekisteröityä Postin asiointiportaalin käyttäjäksi. "
    "Käyttäjärekisteröinnin yhteydessä sinun tulee täydentää yhteystietosi ja luoda "
    "itsellesi tunnukset Postin palvelujen käyttöä varten. "
    "Rekisteröitymislinkki on voimassa 7 vuorokautta."
)


class Sections(HTMLParser):
    """Collect the text, links and tags of every ``<div class="section" lang=...>``."""

    def __init__(self) -> None:
        super().__init__()
        self.langs: list[str] = []
        self.text: dict[str, str] = {}
        self.links: dict[str, list[str]] = {}
        self.times: dict[str, list[str]] = {}
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._depth = 0
        self._current: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if self._current is not None and tag == "div":
            self._depth += 1
        elif tag == "div" and attributes.get("lang") and attributes.get("class") == "section":
            self._current = str(attributes["lang"])
            self.langs.append(self._current)
            self.text[self._current] = ""
            self.links[self._current] = []
            self.times[self._current] = []
            self._depth = 1
        if self._current is not None and tag == "a":
            self.links[self._current].append(str(attributes["href"]))
        if self._current is not None and tag == "time":
            self.times[self._current].append(str(attributes["datetime"]))

    def handle_endtag(self, tag: str) -> None:
        if self._current is not None and tag == "div":
            self._depth -= 1
            if self._depth == 0:
                self._current = None

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self.text[self._current] += data


def sections(html: str) -> Sections:
    parser = Sections()
    parser.feed(html)
    return parser


def squash(text: str) -> str:
    return " ".join(text.split())


def test_subject_is_exact_and_single_line(invitation: Callable[..., InvitationEmail]) -> None:
    rendered = renderer_for().render_invitation(invitation())
    assert rendered.subject == SUBJECT


def test_three_lang_sections_in_configured_order(
    invitation: Callable[..., InvitationEmail],
) -> None:
    for order in (("fi", "sv", "en"), ("en", "fi", "sv")):
        rendered = renderer_for().render_invitation(invitation(languages=order))
        assert sections(rendered.html).langs == list(order)
        assert f'<html lang="{order[0]}" dir="ltr"' in rendered.html
        assert rendered.subject.split(" / ")[0] == {"fi": "Kutsu käyttäjäksi",
                                                    "en": "User invitation"}[order[0]]


def test_finnish_document_text_verbatim(invitation: Callable[..., InvitationEmail]) -> None:
    rendered = renderer_for().render_invitation(invitation())
    assert FINNISH_DOCUMENT_TEXT in squash(rendered.text)  # wrapped at 76 columns
    assert FINNISH_DOCUMENT_TEXT in squash(sections(rendered.html).text["fi"])
    assert "Käyttäjärekisteröinti tehdään osoitteessa" in rendered.text


def test_each_section_has_its_language(invitation: Callable[..., InvitationEmail]) -> None:
    text = sections(renderer_for().render_invitation(invitation()).html).text
    assert "Registreringslänken är giltig i 7 dygn." in text["sv"]
    assert "Användarregistreringen görs på adressen" in text["sv"]
    assert "The registration link is valid for 7 days." in text["en"]
    assert "User registration is done at" in text["en"]
    assert "Maija Meikäläinen on kutsunut sinut yrityksen Esimerkki Oy käyttäjäksi." in text["fi"]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fi", "Kutsu vanhenee 14.3.2025 klo 15.05 (Suomen aikaa)."),
        ("sv", "Inbjudan går ut 14.3.2025 kl. 15.05 (finsk tid)."),
        ("en", "The invitation expires on 14/03/2025 at 15:05 (Finnish time)."),
    ],
)
def test_expiry_is_exact_helsinki_time_per_language(
    invitation: Callable[..., InvitationEmail], lang: str, expected: str
) -> None:
    rendered = renderer_for().render_invitation(invitation())
    found = sections(rendered.html)
    assert expected in squash(found.text[lang])
    assert expected in rendered.text
    assert found.times[lang] == ["2025-03-14T13:05:00Z"]


def test_summer_time_is_utc_plus_three(invitation: Callable[..., InvitationEmail]) -> None:
    from datetime import UTC, datetime

    rendered = renderer_for().render_invitation(
        invitation(expires_at=datetime(2025, 7, 1, 20, 30, tzinfo=UTC), languages=("fi",))
    )
    assert "Kutsu vanhenee 1.7.2025 klo 23.30 (Suomen aikaa)." in rendered.text


@pytest.mark.parametrize(
    ("validity", "fi", "en"),
    [
        (timedelta(days=1), "voimassa 1 vuorokauden.", "valid for 1 day."),
        (timedelta(days=7), "voimassa 7 vuorokautta.", "valid for 7 days."),
        (timedelta(hours=36), "voimassa 36 tuntia.", "valid for 36 hours."),
        (timedelta(hours=1), "voimassa 1 tunnin.", "valid for 1 hour."),
    ],
)
def test_validity_uses_plural_forms(
    invitation: Callable[..., InvitationEmail], validity: timedelta, fi: str, en: str
) -> None:
    text = renderer_for().render_invitation(invitation(validity=validity)).text
    assert fi in text
    assert en in text


def test_names_are_escaped_in_html_and_plain_in_text(
    invitation: Callable[..., InvitationEmail],
) -> None:
    rendered = renderer_for().render_invitation(
        invitation(company_name="Ö'Brien & Co", inviter_name="<script>alert(1)</script>",
                   to_name="Åsa <b>")
    )
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert "Ö&#39;Brien &amp; Co" in rendered.html
    assert "Åsa &lt;b&gt;" in rendered.html
    # Readable once the browser decodes the entities ...
    text = sections(rendered.html).text
    assert "<script>alert(1)</script> on kutsunut sinut yrityksen Ö'Brien & Co" in text["fi"]
    # ... and verbatim in the text part, which no client interprets as HTML.
    assert "Ö'Brien & Co" in rendered.text
    assert "<script>alert(1)</script> has invited you" in rendered.text


def test_expiry_advice_depends_on_role(invitation: Callable[..., InvitationEmail]) -> None:
    user = renderer_for().render_invitation(invitation(invited_role="user")).text
    main = renderer_for().render_invitation(invitation(invited_role="main_user")).text
    assert "Jos kutsu on vanhentunut, ole yhteydessä yrityksen pääkäyttäjään." in user
    assert "If the invitation has expired, contact your company's main user." in user
    assert "asiakaspalvelun chatin kautta" not in user
    assert "Nopeimmin avun saat asiakaspalvelun chatin kautta:" in squash(main)
    # Each language's own customer service page, on a line of its own.
    for lang in ("fi", "sv", "en"):
        assert f"\n{POSTI.customer_service_for(lang)}\n" in main
    assert "/sv/" in POSTI.customer_service_for("sv") and "/en/" in POSTI.customer_service_for("en")
    assert "pääkäyttäjään" not in main


def test_same_link_in_every_section_and_part(invitation: Callable[..., InvitationEmail]) -> None:
    rendered = renderer_for().render_invitation(invitation())
    found = sections(rendered.html)
    for lang in ("fi", "sv", "en"):
        assert found.links[lang] == [invitation().link] * 2  # the button, the copy fallback
    assert rendered.text.count(invitation().link) == 3


def test_single_language_mode(invitation: Callable[..., InvitationEmail]) -> None:
    rendered = renderer_for().render_invitation(invitation(languages=("sv",)))
    assert rendered.subject == "Inbjudan att bli användare"
    assert sections(rendered.html).langs == ["sv"]
    assert "Kutsu" not in rendered.text and "invitation" not in rendered.text
    assert "----" not in rendered.text


def test_html_layout_rules(invitation: Callable[..., InvitationEmail]) -> None:
    html = renderer_for().render_invitation(invitation()).html
    found = sections(html)
    tables = [attrs for tag, attrs in found.tags if tag == "table"]
    assert tables and all(attrs.get("role") == "presentation" for attrs in tables)
    preheader = [a for t, a in found.tags if t == "div" and a.get("class") == "preheader"]
    assert preheader and "display: none" in str(preheader[0]["style"])
    assert len(html.encode("utf-8")) < 100_000
    # Inlined: every paragraph carries its style; only at-rules remain in <style>.
    paragraphs = [attrs for tag, attrs in found.tags if tag == "p"]
    assert paragraphs and all("font-size" in str(a.get("style")) for a in paragraphs)
    # (Outlook's conditional comment holds its own font fallback <style>.)
    outside_comments = re.sub(r"<!--.*?-->", "", html, flags=re.DOTALL)
    style_blocks = re.findall(r"<style>(.*?)</style>", outside_comments, re.DOTALL)
    assert len(style_blocks) == 1 and style_blocks[0].strip().startswith("@media")
    assert not [t for t, _ in found.tags if t == "img"]  # the default theme has no logo


def test_theme_logo_colours_and_alt_text(invitation: Callable[..., InvitationEmail]) -> None:
    theme = Theme(portal_name="Esimerkkiportaali", primary_colour="#123456",
                  logo_url="https://static.example.fi/logo.png")
    html = Renderer(theme).render_invitation(invitation()).html
    images = [a for t, a in sections(html).tags if t == "img"]
    assert images == [{"class": "logo", "height": "40", "src": theme.logo_url,
                       "alt": "Esimerkkiportaali", "width": "120",
                       "style": images[0]["style"]}]
    assert "background-color: #123456" in html


def test_load_time_inlining_equals_render_time_inlining(
    invitation: Callable[..., InvitationEmail],
) -> None:
    """Inlining the template source once gives what inlining every render would."""
    renderer = renderer_for()
    email = invitation(company_name="Ö'Brien & Co", invited_role="main_user")
    ours = renderer.render_invitation(email).html

    # Reference: the same render from the raw templates, inlined afterwards.
    raw = Renderer(renderer.theme, inline_css=False)
    assert "style=" not in raw.render_invitation(email).html
    reference = css_inline.CSSInliner(keep_at_rules=True, extra_css=renderer.css).inline(
        raw.render_invitation(email).html
    )

    def normal(html: str) -> str:
        return squash(unescape(re.sub(r">\s+<", "><", html)))

    assert normal(ours) == normal(reference)


@pytest.mark.parametrize(
    "source",
    [
        "<p>{% if a > b %}x{% endif %}</p>",  # markup-like text inside a tag
        "<p>{# a <b> comment #}</p>",
        "<table>{% for row in rows %}<tr><td>{{ row }}</td></tr>{% endfor %}</table>",  # moved
    ],
)
def test_loader_refuses_templates_it_cannot_inline_exactly(source: str) -> None:
    from jinja2 import DictLoader

    from invitations.errors import ConfigurationError
    from invitations.rendering.environment import InliningLoader, make_environment

    loader = InliningLoader("p { color: red; }", base=DictLoader({"t.html": source}))
    with pytest.raises(ConfigurationError, match=r"t\.html"):
        make_environment(loader).get_template("t.html")


def test_bench_baseline_renders_the_same_templates() -> None:
    """The benchmark's bare render still runs (it is not timed here)."""
    from bench import bench_compose

    html, text = bench_compose.bare_render()(bench_compose.SAMPLE)  # type: ignore[misc]
    assert 'lang="sv"' in str(html) and "style=" not in str(html)
    assert bench_compose.SAMPLE.link in str(text)
    assert bench_compose.cycling(renderer_for().compose_invitation)() is not None
