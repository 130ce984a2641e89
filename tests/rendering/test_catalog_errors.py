"""A corrupt catalog is refused at load time with file:line and advice, never English.

Each test breaks one entry in a copy of the shipped catalogs (``tmp_path``),
loads it the way start-up does (against the domain's ``.pot`` template) and
checks the kind of error, the line it points at, and that the Finnish and
Swedish messages carry the detail, not only the English one.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from invitations.cli import main
from invitations.i18n import CatalogError, read_catalog
from invitations.i18n import runtime as i18n

LANGUAGES = ("fi", "sv", "en")
DOMAINS = ("messages", "web", "errors")


@pytest.fixture
def locales(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of every shipped catalog and template, used as the locales directory."""
    root = tmp_path / "locales"
    for domain in DOMAINS:
        root.mkdir(exist_ok=True)
        shutil.copy(i18n.template_path(domain), root / f"{domain}.pot")
        for lang in LANGUAGES:
            target = root / lang / "LC_MESSAGES"
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy(i18n.catalog_path(lang, domain), target / f"{domain}.po")
    i18n.clear_cache()
    monkeypatch.setattr(i18n, "locales_dir", lambda: root)
    yield root
    i18n.clear_cache()


def po(root: Path, lang: str, domain: str = "messages") -> Path:
    return root / lang / "LC_MESSAGES" / f"{domain}.po"


def edit(path: Path, old: str, new: str) -> int:
    """Replace ``old`` (exactly once) with ``new``; return the 1-based line where it was."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not exactly once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def load(path: Path, lang: str, domain: str = "messages") -> CatalogError:
    """Load ``path`` as start-up does and return the CatalogError it must raise."""
    with pytest.raises(CatalogError) as caught:
        read_catalog(path, lang, domain, template=path.parents[2] / f"{domain}.pot")
    return caught.value


def assert_everywhere(error: CatalogError, *details: str) -> None:
    """Every language's message names the place and carries every detail."""
    for lang in LANGUAGES:
        text = error.message(lang)
        assert error.message(lang).count(str(error.path)) == 1, (lang, text)
        for detail in details:
            assert detail in text, (lang, detail, text)


def test_shipped_catalogs_pass_the_template_check() -> None:
    for domain in DOMAINS:
        for lang in LANGUAGES:
            catalog = read_catalog(i18n.catalog_path(lang, domain), lang, domain,
                                   template=i18n.template_path(domain))
            assert len([m for m in catalog if m.id]) >= 10


@pytest.mark.parametrize("lang", LANGUAGES)
def test_empty_msgstr_is_refused_in_every_language(locales: Path, lang: str) -> None:
    path = po(locales, lang)
    text = path.read_text(encoding="utf-8")
    msgstr = next(line for line in text.splitlines()
                  if line.startswith('msgstr "') and "%(name)s" in line)
    line = edit(path, msgstr + "\n", 'msgstr ""\n')
    error = load(path, lang)
    assert error.kind == "untranslated"
    assert error.line == line
    assert error.msgid == "Hello %(name)s,"
    assert_everywhere(error, f"{path}:{line}", "'Hello %(name)s,'")
    assert "tyhjä" in error.message("fi") and "englanniksi" in error.message("fi")
    assert "tom" in error.message("sv") and "engelska" in error.message("sv")


def test_empty_plural_form_points_at_that_form(locales: Path) -> None:
    path = po(locales, "fi")
    line = edit(path, 'msgstr[1] "Vahvistuslinkki on voimassa %(count)s tuntia."',
                'msgstr[1] ""')
    error = load(path, "fi")
    assert (error.kind, error.line) == ("untranslated", line)
    assert_everywhere(error, f"{path}:{line}", "msgstr[1]", "%(count)s hour")


def test_fuzzy_entry_points_at_the_flag(locales: Path) -> None:
    path = po(locales, "sv")
    line = edit(path, '#, python-format\nmsgid "Hello %(name)s,"',
                '#, fuzzy, python-format\nmsgid "Hello %(name)s,"')
    error = load(path, "sv")
    assert (error.kind, error.line) == ("fuzzy", line)
    assert_everywhere(error, f"{path}:{line}", "'Hello %(name)s,'", "fuzzy")
    assert "poista" in error.message("fi") and "ta bort" in error.message("sv")


def test_fuzzy_header_is_refused(locales: Path) -> None:
    path = po(locales, "en")
    header = 'msgid ""\nmsgstr ""\n"Project-Id'
    line = edit(path, header, "#, fuzzy\n" + header)
    error = load(path, "en")
    assert (error.kind, error.line) == ("fuzzy", line)
    assert_everywhere(error, f"{path}:{line}", "fuzzy")


def test_changed_msgid_is_a_missing_entry_naming_the_stale_one(locales: Path) -> None:
    path = po(locales, "sv")
    stale = edit(path, 'msgid "Hello %(name)s,"', 'msgid "Hi there %(name)s,"')
    error = load(path, "sv")
    assert error.kind == "missing" and error.line is None
    assert error.msgid == "Hello %(name)s,"
    assert_everywhere(error, "'Hello %(name)s,'", "'Hi there %(name)s,'", str(stale),
                      "messages.pot", "make messages")


def test_deleted_entry_is_missing_in_web_catalog(locales: Path) -> None:
    path = po(locales, "fi", "web")
    edit(path, 'msgid "Your username: %(username)s"\nmsgstr "Käyttäjätunnuksesi: %(username)s"\n',
         "")
    error = load(path, "fi", "web")
    assert error.kind == "missing" and error.line is None
    assert_everywhere(error, "'Your username: %(username)s'", "web.pot", "make messages")


def test_obsolete_entry_for_a_template_message(locales: Path) -> None:
    path = po(locales, "fi")
    line = edit(path, '#, python-format\nmsgid "Hello %(name)s,"\nmsgstr "Hei %(name)s,"',
                '#~ msgid "Hello %(name)s,"\n#~ msgstr "Hei %(name)s,"')
    error = load(path, "fi")
    assert (error.kind, error.line) == ("obsolete", line)
    assert_everywhere(error, f"{path}:{line}", "'Hello %(name)s,'", "#~")


def test_obsolete_entry_the_template_dropped_is_fine(locales: Path) -> None:
    path = po(locales, "fi")
    with path.open("a", encoding="utf-8") as out:
        out.write('\n#~ msgid "Gone from the sources"\n#~ msgstr "Poistunut"\n')
    catalog = read_catalog(path, "fi", template=locales / "messages.pot")
    # Read, kept aside as obsolete, and never offered as a translation.
    assert "Gone from the sources" in catalog.obsolete
    assert catalog.get("Gone from the sources") is None
    assert len(catalog) > 10  # the live entries are all there


def test_wrong_conversion_asks_for_the_exact_placeholder(locales: Path) -> None:
    path = po(locales, "sv")
    line = edit(path, 'msgstr "%(inviter)s har bjudit in dig att bli användare för företaget '
                '%(company)s."', 'msgstr "%(inviter)s har bjudit in dig att bli användare för '
                'företaget %(company)d."')
    error = load(path, "sv")
    assert (error.kind, error.line) == ("placeholder", line)
    assert_everywhere(error, f"{path}:{line}", "'%(company)d'", "%(company)s")
    assert "%%" not in error.message("en")  # not "write a literal percent sign"
    assert "exactly as in the msgid" in error.message("en")
    assert "täsmälleen" in error.message("fi") and "exakt" in error.message("sv")


def test_dropped_placeholder_names_that_placeholder(locales: Path) -> None:
    path = po(locales, "fi")
    line = edit(path, 'msgstr "%(inviter)s on kutsunut sinut',
                'msgstr "Joku on kutsunut sinut')
    error = load(path, "fi")
    assert (error.kind, error.line) == ("placeholder", line)
    assert_everywhere(error, f"{path}:{line}", "%(inviter)s")
    # The hint lists the msgid's placeholders, not a fixed example.
    assert "lacks %(inviter)s" in error.message("en")
    assert "puuttuu %(inviter)s" in error.message("fi")
    assert "saknar %(inviter)s" in error.message("sv")


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_errors_catalog_dropping_a_placeholder_is_refused_and_reported_in_english(
    locales: Path, lang: str
) -> None:
    """The catalog the error messages come from is broken: the CatalogError about it
    still words itself (in English for that language), naming file:line."""
    path = po(locales, lang, "errors")
    text = path.read_text(encoding="utf-8")
    start = text.index('msgid "Fill in the field: %(label)s."\n')
    msgstr = text[start:].split("\n")[1]
    assert "%(label)s" in msgstr
    line = edit(path, msgstr + "\n", msgstr.replace("%(label)s", "kenttä") + "\n")
    error = load(path, lang, "errors")
    assert (error.kind, error.line) == ("placeholder", line)
    assert error.msgid == "Fill in the field: %(label)s."
    assert_everywhere(error, f"{path}:{line}", "%(label)s")
    with pytest.raises(CatalogError) as caught:
        i18n.preload([lang], ["errors"])
    assert caught.value.path == path and caught.value.line == line
    assert caught.value.message(lang).startswith("The translation catalog ")
    other = "sv" if lang == "fi" else "fi"
    assert caught.value.message(other).startswith(("Käännöstiedostoa ", "Översättningsfilen "))


@pytest.mark.parametrize(("value", "detail"), [
    ("nplurals=x; plural=(n != 1);", "nplurals 'x'"),
    ("nplurals=2; plural=(n !=;", "'(n !='"),
    ("nplurals=1; plural=(n != 1);", "nplurals"),
    ("plural=(n != 1);", "nplurals"),
])
def test_broken_plural_forms_is_reported_as_the_header(
    locales: Path, value: str, detail: str
) -> None:
    path = po(locales, "sv")
    line = edit(path, '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"',
                f'"Plural-Forms: {value}\\n"')
    error = load(path, "sv")
    assert (error.kind, error.line) == ("plural_forms", line)
    assert_everywhere(error, f"{path}:{line}", "Plural-Forms", detail,
                      "nplurals=2; plural=(n != 1);")
    assert "invalid literal" not in error.message("en")


def test_start_up_refuses_an_untranslated_sentence(locales: Path) -> None:
    """The audit's case: sv "Hello %(name)s," emptied; preview must not print English."""
    path = po(locales, "sv")
    line = edit(path, 'msgstr "Hej %(name)s,"', 'msgstr ""')
    with pytest.raises(CatalogError) as caught:
        i18n.preload(LANGUAGES)
    assert (caught.value.path, caught.value.line) == (path, line)
    result = CliRunner().invoke(main, ["preview", "--languages", "sv", "--format", "text"])
    assert result.exit_code == 1
    assert f"{path}:{line}" in result.output
    assert "Hello Matti" not in result.output


def test_start_up_refuses_a_missing_template(locales: Path) -> None:
    (locales / "web.pot").unlink()
    with pytest.raises(CatalogError) as caught:
        i18n.preload(LANGUAGES, domains=("messages", "web"))
    assert caught.value.path == locales / "web.pot"
    assert caught.value.kind == "not_found"


def test_the_template_beside_the_language_folders_is_found_by_default(locales: Path) -> None:
    path = po(locales, "en", "web")
    edit(path, 'msgid "Your username: %(username)s"\nmsgstr "Your username: %(username)s"\n', "")
    with pytest.raises(CatalogError) as caught:
        read_catalog(path, "en", "web")  # no template given: <locales>/web.pot
    assert caught.value.kind == "missing"


def test_preview_names_the_supported_languages() -> None:
    result = CliRunner().invoke(main, ["preview", "--languages", "de"])
    assert result.exit_code == 1
    assert "'de' is not supported" in result.output
    assert "fi, sv, en" in result.output
