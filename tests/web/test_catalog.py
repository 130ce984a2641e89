"""The pages' own catalog (gettext domain ``web``): complete, consistent and up to date."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from invitations.i18n import CatalogError, catalog_path, message_problems, read_catalog
from invitations.i18n.languages import LANGUAGES
from invitations.web.pages import DOMAIN

ROOT = Path(__file__).resolve().parents[2]


def _pybabel() -> str:
    return str(Path(sys.executable).with_name("pybabel"))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_translated_without_fuzzy_or_placeholder_slips(lang: str) -> None:
    path = catalog_path(lang, DOMAIN)
    catalog = read_catalog(path, lang, DOMAIN)  # raises on placeholder problems
    assert not catalog.fuzzy, f"{path}: the header is marked fuzzy"
    messages = [m for m in catalog if m.id]
    assert messages, f"{path} is empty"
    for message in messages:
        assert message.string, f"{path}:{message.lineno}: {message.id!r} is not translated"
        assert not message.fuzzy, f"{path}:{message.lineno}: {message.id!r} is fuzzy"
        assert list(message_problems(message)) == [], f"{path}:{message.lineno}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_msgfmt_check(lang: str) -> None:
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "GNU gettext's msgfmt is missing: apt-get install gettext"
    result = subprocess.run(
        [msgfmt, "--check", "-o", "/dev/null", str(catalog_path(lang, DOMAIN))],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr


def test_template_is_up_to_date_with_the_pages(tmp_path: Path) -> None:
    fresh = tmp_path / "web.pot"
    subprocess.run(
        [_pybabel(), "extract", "--no-location", "-F", "babel-web.cfg", "-o", str(fresh),
         "--project", "invitations", "--version", "0.1.0", "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with fresh.open("rb") as extracted, (ROOT / "locales" / "web.pot").open("rb") as kept:
        wanted = {m.id for m in read_po(extracted) if m.id}
        have = {m.id for m in read_po(kept) if m.id}
    assert wanted == have, (
        f"locales/web.pot is stale: missing {sorted(wanted - have)}, "
        f"obsolete {sorted(have - wanted)}; run `make messages`"
    )
    for lang in LANGUAGES:
        with catalog_path(lang, DOMAIN).open("rb") as po:
            ids = {m.id for m in read_po(po) if m.id}
        assert ids == wanted, f"{lang}/web.po differs from the template; run `make messages`"


def test_a_dropped_placeholder_names_file_and_line(tmp_path: Path) -> None:
    source = catalog_path("fi", DOMAIN).read_text(encoding="utf-8")
    broken = source.replace(
        'msgstr "Käyttäjätunnuksesi: %(username)s"', 'msgstr "Käyttäjätunnuksesi"'
    )
    assert broken != source
    path = tmp_path / "web.po"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        read_catalog(path, "fi", DOMAIN)
    assert f"{path}:" in caught.value.message("en")
    assert "%(username)s" in caught.value.message("en") or "username" in str(caught.value)
