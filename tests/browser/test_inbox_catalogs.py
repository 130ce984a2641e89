"""The inbox UI's fi/sv/en catalogs: complete, well-formed and up to date with the code.

(No browser: these guard the strings the browser tests read.)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from devsmtp.catalog import DOMAIN, LANGUAGES, LOCALES_DIR, language
from invitations.i18n import read_catalog

ROOT = Path(__file__).resolve().parents[2]


def _ids(path: Path) -> set[object]:
    with path.open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


def test_extraction_is_up_to_date(tmp_path: Path) -> None:
    fresh = tmp_path / "devsmtp.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "--no-location",
         "--sort-output", "-F", "devsmtp/web/babel.cfg", "-k", "N_", "-o", str(fresh),
         "--project", "devsmtp", "--version", "0.1.0", "."],
        cwd=ROOT, check=True, capture_output=True, timeout=120,
    )
    assert _ids(fresh) == _ids(LOCALES_DIR / f"{DOMAIN}.pot"), (
        "devsmtp/locales/devsmtp.pot is stale: run `make messages` and translate")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_complete_and_valid(lang: str) -> None:
    path = LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    # The toolkit's strict reader: placeholders kept, no stray %, no parse error.
    catalog = read_catalog(path, lang, DOMAIN)
    missing = [m.id for m in catalog if m.id and (
        not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
    assert missing == [], f"untranslated in {path}: {missing}"
    assert {m.id for m in catalog if m.id} == _ids(LOCALES_DIR / f"{DOMAIN}.pot")
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "GNU gettext's msgfmt is missing: apt-get install gettext"
    subprocess.run([msgfmt, "--check", "-o", "/dev/null", str(path)], check=True,
                   capture_output=True, timeout=60)


def test_time_left_reads_naturally() -> None:
    texts = {lang: language(lang).gettext("%(days)s d %(hours)s h") % {"days": 6, "hours": 23}
             for lang in LANGUAGES}
    assert texts == {"fi": "6 vrk 23 h", "sv": "6 dygn 23 h", "en": "6 d 23 h"}
