"""The CLI's own lines in the chosen language: ``--lang fi|sv`` on a command or on the
group words the labels of ``send``/``revoke``/``verify``/``list`` (values stay as they
are), and the values start in one column however long the translated labels are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from invitations.cli import main
from tests.core.helpers import KEY, token_of

#: Each language's labels of one invitation, in the order ``show`` prints them.
LABELS = {
    "en": ["id", "email", "company", "role", "status", "expires at", "delivery", "link"],
    "fi": ["tunniste", "sähköposti", "yritys", "rooli", "tila", "vanhenee", "toimitus",
           "linkki"],
    "sv": ["id", "e-post", "företag", "roll", "status", "går ut", "leverans", "länk"],
}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "INVITATIONS_SECRET_KEYS": KEY,
        "INVITATIONS_BASE_URL": "http://127.0.0.1:8000",
        "INVITATIONS_TRANSPORT": f"file://{tmp_path / 'mail'}",
        "INVITATIONS_DB": str(tmp_path / "invitations.db"),
        "INVITATIONS_LANG": "en",
    }


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def send(env: dict[str, str], *extra: str) -> Result:
    result = run(env, "send", "matti@acme.fi", "--company-id", "0112038-9",
                 "--company-name", "Acme Oy", "--contract-number", "LOG-1",
                 "--invited-by", "boss@acme.fi", *extra)
    assert result.exit_code == 0, result.output
    return result


def labels_and_column(output: str) -> tuple[list[str], set[int]]:
    """The labels of ``label: value`` lines and the columns their values start at."""
    labels, columns = [], set()
    for line in output.splitlines():
        label, _, rest = line.partition(":")
        labels.append(label)
        columns.add(len(line) - len(rest.lstrip(" ")))
    return labels, columns


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_send_shows_the_invitation_in_the_language(env: dict[str, str], lang: str) -> None:
    shown = send(env, "--lang", lang).stdout
    labels, columns = labels_and_column(shown)
    assert labels == LABELS[lang], shown
    assert len(columns) == 1, shown  # one value column
    assert "matti@acme.fi" in shown and "Acme Oy (0112038-9)" in shown
    assert "pending" in shown  # the status code itself is a value
    if lang != "en":
        assert "expires at:" not in shown and "delivery:" not in shown


def test_english_keeps_its_column(env: dict[str, str]) -> None:
    shown = send(env).stdout
    assert "id:         " in shown and "expires at: " in shown and "delivery:   sent" in shown


@pytest.mark.parametrize(("lang", "word"), [("fi", "ei kutsuja"), ("sv", "inga inbjudningar")])
def test_an_empty_list_says_so_in_the_language(env: dict[str, str], lang: str,
                                               word: str) -> None:
    on_command = run(env, "list", "--lang", lang)
    on_group = run(env, "--lang", lang, "list")
    for result in (on_command, on_group):
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == word
    assert run(env, "list").stdout.strip() == "no invitations"


def test_list_rows_word_the_expiry(env: dict[str, str]) -> None:
    send(env)
    assert " vanhenee 20" in run(env, "list", "--lang", "fi").stdout
    assert " går ut 20" in run(env, "list", "--lang", "sv").stdout
    assert " expires 20" in run(env, "list").stdout


def test_verify_and_revoke_speak_the_language(env: dict[str, str]) -> None:
    invitation = json.loads(send(env, "--json").stdout)["invitation"]
    token = token_of(invitation["link"])
    finnish = run(env, "verify", token, "--lang", "fi")
    assert finnish.exit_code == 0, finnish.output
    assert finnish.stdout.startswith(f"voimassa: kutsu {invitation['id']} osoitteeseen "
                                     "matti@acme.fi, vanhenee ")
    swedish = run(env, "--lang", "sv", "verify", token)
    assert swedish.stdout.startswith(f"giltig: inbjudan {invitation['id']} till matti@acme.fi")
    revoked = run(env, "revoke", invitation["id"], "--by", "asiakaspalvelu",
                  "--by-role", "operator", "--lang", "sv")
    assert revoked.exit_code == 0, revoked.output
    labels, columns = labels_and_column(revoked.stdout)
    assert labels[:7] == LABELS["sv"][:7] and len(columns) == 1
    assert "revoked" in revoked.stdout and "expires at" not in revoked.stdout


def test_an_unknown_password_policy_is_named_in_the_language(env: dict[str, str]) -> None:
    bad = {**env, "INVITATIONS_PASSWORD_POLICY": "bogus"}
    swedish = CliRunner().invoke(main, ["check-password", "--first-name", "A", "--last-name",
                                        "B", "--lang", "sv"], env=bad, input="x\n")
    assert swedish.exit_code == 2
    assert "okänd lösenordspolicy 'bogus'; använd 'document' eller 'nist'" in swedish.stderr
    english = CliRunner().invoke(main, ["check-password", "--first-name", "A", "--last-name",
                                        "B"], env=bad, input="x\n")
    assert "unknown password policy 'bogus'" in english.stderr
