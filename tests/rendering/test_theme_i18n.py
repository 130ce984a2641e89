"""Themes and the i18n helpers other parts reuse."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from invitations import i18n
from invitations.errors import ConfigurationError
from invitations.theme import POSTI, Theme, load_theme


def test_default_theme_is_posti() -> None:
    assert load_theme(None) is POSTI and load_theme("posti") is POSTI
    assert POSTI.sender_name == "Posti"


def test_theme_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "brand.toml"
    path.write_text('[theme]\nportal_name = "Esimerkki"\nprimary_colour = "#003366"\n')
    theme = load_theme(str(path))
    assert theme.portal_name == "Esimerkki" and theme.primary_colour == "#003366"
    assert theme.sender_name == POSTI.sender_name


@pytest.mark.parametrize(
    "content",
    ['[theme]\nprimary_colour = "red; x"\n', '[theme]\nlogo = "x"\n', "nope = [", "[other]\n"],
)
def test_bad_theme_files_are_configuration_errors(tmp_path: Path, content: str) -> None:
    path = tmp_path / "brand.toml"
    path.write_text(content)
    with pytest.raises(ConfigurationError):
        load_theme(path)


def test_theme_refuses_markup_and_line_breaks() -> None:
    with pytest.raises(ConfigurationError):
        Theme(portal_name="Posti</td><script>")
    with pytest.raises(ConfigurationError):
        Theme(customer_service_url="javascript:alert(1)")


def test_missing_theme() -> None:
    with pytest.raises(ConfigurationError, match="neither a known theme"):
        load_theme("no-such-theme")


def test_language_helpers_for_web_pages() -> None:
    when = datetime(2025, 12, 24, 22, 0, tzinfo=UTC)
    fi, sv, en = (i18n.language(lang) for lang in ("fi", "sv", "en"))
    assert fi.format_datetime(when) == "25.12.2025 klo 0.00"
    assert sv.format_datetime(when) == "25.12.2025 kl. 0.00"
    assert en.format_datetime(when) == "25/12/2025 at 00:00"
    assert fi.gettext("User invitation") == "Kutsu käyttäjäksi"
    assert sv.ngettext("The registration link is valid for %(count)s day.",
                       "The registration link is valid for %(count)s days.", 2) == (
        "Registreringslänken är giltig i %(count)s dygn.")
    assert str(fi.locale) == "fi_FI" and str(sv.locale) == "sv_FI" and str(en.locale) == "en_GB"
    assert i18n.language("fi") is fi  # cached once per process
