"""The ``devsmtp`` command's own lines in fi/sv (``--lang`` on ``devsmtp`` or on the
command, else ``DEVSMTP_LANG``), against a real ``devsmtp serve``; English stays the
default."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .test_cli import DEVSMTP, smtp_send, start_serve

#: The environment without a language: LANG/LC_* of the machine must not choose one.
PLAIN = {k: v for k, v in os.environ.items()
         if k not in ("DEVSMTP_LANG", "LANG", "LC_ALL", "LC_MESSAGES")}


def devsmtp(data: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*DEVSMTP, *args, "--data", str(data)], capture_output=True,
                            text=True, timeout=60, check=False, env={**PLAIN, **env})
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, dict[str, object], str]]:
    process, ports, first_line = start_serve(tmp_path, "--lang", "fi")
    try:
        assert process.stdout is not None
        # The rest of the banner (printed right after the first line), in Finnish.
        banner = first_line + process.stdout.readline().decode() + (
            process.stdout.readline().decode())
        yield tmp_path, ports, banner
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
        assert process.returncode == 0


def test_show_list_and_clear_in_finnish_and_swedish(
        served: tuple[Path, dict[str, object], str]) -> None:
    data, ports, banner = served
    assert f"SMTP 127.0.0.1:{ports['smtp_port']}" in banner.splitlines()[0]
    assert "\n  saapuneet http://127.0.0.1:" in banner and "(portit tiedostossa " in banner
    assert "inbox" not in banner and "ports in" not in banner
    smtp_send(ports, "one@example.com", "Kutsu käyttäjäksi")
    smtp_send(ports, "two@example.com", "Toinen")

    english = devsmtp(data, "show", "1").stdout
    assert "Envelope: cli@example.com -> one@example.com" in english
    finnish = devsmtp(data, "show", "1", "--lang", "fi").stdout
    assert "Kirjekuori: cli@example.com -> one@example.com" in finnish
    assert "Aihe: Kutsu käyttäjäksi" in finnish and "Koko: " in finnish
    assert "Tunniste: 1" in finnish and "Kielet: " in finnish
    swedish = devsmtp(data, "--lang", "sv", "show", "1").stdout
    assert "Kuvert: cli@example.com -> one@example.com" in swedish
    assert "Ämne: Kutsu käyttäjäksi" in swedish and "Storlek: " in swedish
    assert " från " in swedish.splitlines()[1]  # Mottaget: <when> från <peer>
    for text in (finnish, swedish):
        assert not any(f"{label}:" in text
                       for label in ("Envelope", "Subject", "Size", "Received", "Languages"))

    assert devsmtp(data, "list", "--limit", "1").stdout.endswith("(more: --before 2)\n")
    assert devsmtp(data, "list", "--limit", "1", "--lang", "fi").stdout.endswith(
        "(lisää: --before 2)\n")
    assert devsmtp(data, "list", "--limit", "1", DEVSMTP_LANG="sv").stdout.endswith(
        "(fler: --before 2)\n")
    assert devsmtp(data, "clear", "--to", "two@example.com",
                   "--lang", "fi").stdout == "poistettiin 1\n"
    assert devsmtp(data, "clear", LANG="sv_FI.UTF-8").stdout == "raderade 1\n"


def test_usage_errors_in_the_language(tmp_path: Path) -> None:
    bad = subprocess.run([*DEVSMTP, "--lang", "sv", "serve", "--smtp", "127.0.0.1:70000",
                          "--data", str(tmp_path)], capture_output=True, text=True,
                         timeout=60, check=False, env=PLAIN)
    assert bad.returncode == 2
    assert "porten 70000 i '127.0.0.1:70000' ligger utanför intervallet" in bad.stderr
    missing = subprocess.run([*DEVSMTP, "list", "--lang", "fi", "--data",
                              str(tmp_path / "none")], capture_output=True, text=True,
                             timeout=60, check=False, env=PLAIN)
    assert missing.returncode == 1
    assert "onko `devsmtp serve --data" in missing.stderr
