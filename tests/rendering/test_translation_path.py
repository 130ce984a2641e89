"""One translation path: every domain passes msgfmt, `make messages` writes only
what changed, and the command line (Click's own usage errors too) speaks --lang."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from invitations.cli import main
from invitations.cli.speech import CLICK_TEXTS
from invitations.i18n.extract import DOMAINS
from invitations.i18n.extract import main as extract
from invitations.i18n.languages import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS, ids=lambda d: d.name)
def test_msgfmt_check_passes_for_every_domain(domain: object, lang: str, tmp_path: Path) -> None:
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "GNU gettext's msgfmt is required (Debian package gettext)"
    name, locales = domain.name, domain.locales  # type: ignore[attr-defined]
    po = ROOT / locales / lang / "LC_MESSAGES" / f"{name}.po"
    result = subprocess.run([msgfmt, "--check", "-o", str(tmp_path / "out.mo"), str(po)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr


def _tree(root: Path) -> Path:
    """A copy of what `make messages` reads and writes."""
    copy = root / "repo"
    for name in ("invitations", "templates", "locales", "devsmtp"):
        shutil.copytree(ROOT / name, copy / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("babel.cfg", "babel-web.cfg", "babel-errors.cfg"):
        shutil.copy(ROOT / name, copy / name)
    return copy


def _state(root: Path) -> dict[Path, tuple[int, bytes]]:
    return {path: (path.stat().st_mtime_ns, path.read_bytes())
            for pattern in ("locales/**/*.po*", "devsmtp/locales/**/*.po*")
            for path in sorted(root.glob(pattern))}


def test_make_messages_writes_only_files_whose_messages_changed(tmp_path: Path) -> None:
    repo = _tree(tmp_path)
    before = _state(repo)
    assert len(before) >= 4 * 4
    extract(["--root", str(repo)])
    assert _state(repo) == before, "the checked-in catalogs are stale: run `make messages`"
    extract(["--root", str(repo)])
    assert _state(repo) == before  # twice: still nothing written

    # A Swedish translator's edit: only that file may change.
    sv = repo / "locales" / "sv" / "LC_MESSAGES" / "web.po"
    sv.write_text(sv.read_text(encoding="utf-8").replace(
        'msgstr "Något gick fel"', 'msgstr "Något gick snett"'), encoding="utf-8")
    edited = _state(repo)
    assert edited != before
    extract(["--root", str(repo)])
    assert _state(repo) == edited

    # A new error text: the errors template and its three catalogs, nothing else.
    source = repo / "invitations" / "i18n" / "texts.py"
    source.write_text(source.read_text(encoding="utf-8")
                      + '\n_NEW = T_("A brand new text.")\n', encoding="utf-8")
    extract(["--root", str(repo)])
    after = _state(repo)
    changed = {path.relative_to(repo).as_posix() for path in after if after[path] != edited[path]}
    assert changed == {"locales/errors.pot",
                       *(f"locales/{lang}/LC_MESSAGES/errors.po" for lang in LANGUAGES)}


def test_click_msgids_still_exist_in_click() -> None:
    source = "".join(path.read_text(encoding="utf-8")
                     for path in pathlib.Path(click.__file__).parent.glob("*.py"))
    for msgid in CLICK_TEXTS:
        assert f'"{msgid}"' in source, f"Click no longer says {msgid!r}: update CLICK_TEXTS"


def test_click_usage_errors_speak_the_chosen_language() -> None:
    runner = CliRunner()
    missing = runner.invoke(main, ["--lang", "fi", "redeem", "TOKEN"])
    assert missing.exit_code == 2
    assert "Virhe: Puuttuva valinta '--first-name'." in missing.stderr
    assert "Käyttö: " in missing.stderr and "Ohjeet: 'main redeem --help'." in missing.stderr
    unknown = runner.invoke(main, ["no-such"], env={"INVITATIONS_LANG": "sv"})
    assert "Fel: Kommandot 'no-such' finns inte." in unknown.stderr
    after = runner.invoke(main, ["send", "--lang", "fi"])
    assert after.exit_code == 2
    assert "Virhe: puuttuu EMAIL, --company-id, --company-name, --invited-by" in after.stderr
    english = runner.invoke(main, ["redeem", "TOKEN"], env={"INVITATIONS_LANG": "en"})
    assert "Error: Missing option '--first-name'." in english.stderr
    assert click.exceptions._("Missing option") == "Missing option"  # restored afterwards
