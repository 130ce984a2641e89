"""The catalogs translators edit: complete, consistent, current and well-formed.

These checks fail the build, so a broken translation never reaches a recipient.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from invitations.errors import ConfigurationError
from invitations.i18n import CatalogError, message_problems, read_catalog
from invitations.i18n import runtime as i18n
from invitations.rendering import Renderer
from invitations.resources import locales_dir

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("fi", "sv", "en")


def catalog(lang: str) -> Catalog:
    return read_catalog(i18n.catalog_path(lang), lang)


def message_ids(catalog: Catalog) -> set[object]:
    return {m.id for m in catalog if m.id}


@pytest.fixture
def fresh_catalogs() -> Iterator[None]:
    """Catalogs loaded inside the test do not leak into (or come from) other tests."""
    i18n.clear_cache()
    yield
    i18n.clear_cache()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_translated_and_none_fuzzy(lang: str) -> None:
    loaded = catalog(lang)
    assert not loaded.fuzzy, f"{lang}: the catalog header is marked fuzzy"
    assert len(message_ids(loaded)) >= 15
    for message in loaded:
        if not message.id:
            continue
        assert not message.fuzzy, f"{lang}: fuzzy entry {message.id!r}"
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(isinstance(s, str) and s.strip() for s in strings), (
            f"{lang}: untranslated {message.id!r}"
        )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_match_and_percent_is_escaped(lang: str) -> None:
    problems = {
        str(m.id): list(message_problems(m)) for m in catalog(lang) if m.id
    }
    assert {k: v for k, v in problems.items() if v} == {}


def test_placeholder_check_catches_what_babel_allows(tmp_path: Path) -> None:
    bad = tmp_path / "messages.po"
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
    # The line is the faulty msgstr's, not the msgid's; the detail names the placeholder.
    cases = {
        "dropped": ('#, python-format\nmsgid "Hello %(name)s for %(company)s"\n'
                    'msgstr "Hei %(name)s"\n', 7, "%(company)s"),
        "renamed": ('#, python-format\nmsgid "Hello %(name)s"\nmsgstr "Hei %(nimi)s"\n', 7,
                    "%(nimi)s"),
        "stray percent": ('msgid "Save 50%% now"\nmsgstr "Säästä 50% nyt"\n', 6, "%%"),
        "positional": ('msgid "Hello %(name)s"\nmsgstr "Hei %s"\n', 6, "'%s'"),
    }
    for name, (entry, line, detail) in cases.items():
        bad.write_text(header + entry, encoding="utf-8")
        with pytest.raises(CatalogError) as caught:
            read_catalog(bad, "fi")
        assert caught.value.kind == "placeholder", name
        assert caught.value.line == line, name
        for lang in LANGUAGES:
            assert f"{bad}:{line}" in caught.value.message(lang), name
            assert detail in caught.value.message(lang), (name, lang)
    # A literal percent written as %% and a singular that spells out "one" are fine.
    bad.write_text(
        header + 'msgid "Save 50%% now"\nmsgstr "Säästä 50%% nyt"\n\n'
        '#, python-format\nmsgid "%(count)s day"\nmsgid_plural "%(count)s days"\n'
        'msgstr[0] "yksi päivä"\nmsgstr[1] "%(count)s päivää"\n',
        encoding="utf-8",
    )
    read_catalog(bad, "fi")


def test_pot_is_up_to_date_with_the_sources(tmp_path: Path) -> None:
    """Extract with babel.cfg (as `make messages` does) and compare the messages."""
    extracted = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "--no-location",
         "--sort-output", "-F", "babel.cfg", "-o", str(extracted),
         "--project", "invitations", "--version", "0.1.0", "invitations", "templates"],
        cwd=ROOT, check=True, timeout=120, capture_output=True,
    )
    with extracted.open("rb") as fresh, (ROOT / "locales" / "messages.pot").open("rb") as kept:
        fresh_ids, kept_ids = message_ids(read_po(fresh)), message_ids(read_po(kept))
    assert fresh_ids == kept_ids, "run `make messages` and translate the new strings"
    for lang in LANGUAGES:
        assert message_ids(catalog(lang)) == kept_ids, f"{lang}: run `make messages`"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_msgfmt_check_passes(lang: str, tmp_path: Path) -> None:
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "GNU gettext's msgfmt is required (Debian package gettext)"
    result = subprocess.run(
        [msgfmt, "--check", "-o", str(tmp_path / "messages.mo"), str(i18n.catalog_path(lang))],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_corrupt_catalog_names_file_and_line(tmp_path: Path) -> None:
    source = i18n.catalog_path("fi").read_text(encoding="utf-8").splitlines()
    target = next(i for i, line in enumerate(source) if line.startswith('msgstr "Kutsu'))
    source[target] = "msgstr Kutsu käyttäjäksi (quotes lost)"
    broken = tmp_path / "messages.po"
    broken.write_text("\n".join(source) + "\n", encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        read_catalog(broken, "fi")
    assert caught.value.line == target + 1
    assert isinstance(caught.value, ConfigurationError)
    for lang in ("fi", "sv", "en"):
        assert f"{broken}:{target + 1}" in caught.value.message(lang)


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "messages.po"
    broken.write_bytes(b'msgid ""\nmsgstr ""\n\nmsgid "Hello,"\nmsgstr "Hej\xe4,"\n')
    with pytest.raises(CatalogError) as caught:
        read_catalog(broken, "sv")
    assert caught.value.line == 5


def test_missing_catalog_fails_at_start_up_not_english(fresh_catalogs: None) -> None:
    with pytest.raises(CatalogError) as caught:
        Renderer(languages=("fi", "de"))
    assert caught.value.path == locales_dir() / "de" / "LC_MESSAGES" / "messages.po"
    assert caught.value.kind == "unsupported_language"
    assert "messages.po" in caught.value.message("fi")
    assert "fi, sv, en" in caught.value.message("fi")
    assert "'de'" in caught.value.message("sv")


def test_broken_catalog_fails_at_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_catalogs: None
) -> None:
    shutil.copy(i18n.template_path(), tmp_path / "messages.pot")
    for lang in LANGUAGES:
        target = tmp_path / lang / "LC_MESSAGES"
        target.mkdir(parents=True)
        shutil.copy(i18n.catalog_path(lang), target / "messages.po")
    po = tmp_path / "sv" / "LC_MESSAGES" / "messages.po"
    source = po.read_text(encoding="utf-8")
    assert 'msgstr "%(inviter)s har bjudit' in source
    po.write_text(source.replace(
        'msgstr "%(inviter)s har bjudit', 'msgstr "%(inviter)s %% 100 % har bjudit'),
        encoding="utf-8")
    line = next(n for n, text in enumerate(source.splitlines(), start=1)
                if text.startswith('msgstr "%(inviter)s har bjudit'))
    monkeypatch.setattr(i18n, "locales_dir", lambda: tmp_path)
    with pytest.raises(CatalogError) as caught:
        i18n.preload(LANGUAGES)
    assert caught.value.path == po and caught.value.line == line
    assert caught.value.kind == "placeholder"
    for lang in LANGUAGES:
        assert "%%" in caught.value.message(lang)


def test_unknown_language_is_a_configuration_error(fresh_catalogs: None) -> None:
    with pytest.raises(ConfigurationError):
        i18n.babel_locale("xx-not-a-locale")
