"""``invitations preview``: what translators and QA run."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

from click.testing import CliRunner

from invitations.cli import main


def run(*args: str) -> bytes:
    result = CliRunner().invoke(main, ["preview", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def test_html_default_is_trilingual() -> None:
    html = run().decode("utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert [f'lang="{lang}"' in html for lang in ("fi", "sv", "en")] == [True] * 3
    assert "SAMPLE-TOKEN" in html


def test_text_single_language_with_overrides() -> None:
    text = run("--languages", "sv", "--format", "text", "--company", "Ö'Brien & Co",
               "--inviter", "<Pää>").decode("utf-8")
    assert text.startswith("Inbjudan att bli användare\n")
    assert "<Pää> har bjudit in dig att bli användare för företaget Ö'Brien & Co." in text
    assert "Kutsu" not in text


def test_eml_to_file(tmp_path: Path) -> None:
    out = tmp_path / "preview.eml"
    run("--languages", "en,fi", "--format", "eml", "--out", str(out), "--role", "main_user")
    message = email.message_from_bytes(out.read_bytes(), policy=policy.default)
    assert message["Subject"] == "User invitation / Kutsu käyttäjäksi"
    assert message["Content-Language"] == "en, fi"
    body = message.get_body(("plain",))
    assert body is not None and "customer service chat" in body.get_content()


def test_confirmation_kind() -> None:
    text = run("--kind", "confirmation", "--format", "text", "--languages", "fi").decode()
    assert text.startswith("Vahvista sähköpostiosoitteesi\n")
    assert "/confirm-email?token=SAMPLE-TOKEN" in text


def test_unknown_language_is_a_clear_error() -> None:
    result = CliRunner().invoke(main, ["preview", "--languages", "fi,de"])
    assert result.exit_code == 1
    assert "de/LC_MESSAGES/messages.po" in result.output
