"""``invitations orders list|show|reject --lang fi|sv``: the labels in the language, the
values (reference, status and reason codes) as they are, in one column."""

from __future__ import annotations

import pytest
from click.testing import CliRunner, Result

from invitations.cli import main
from tests.orders.conftest import FORM
from tests.orders.test_cli import submit

LABELS = {
    "fi": ["viite", "tila", "vastaanotettu", "yritys", "syy", "tilaaja", "pääkäyttäjä",
           "palvelut", "sopimus"],
    "sv": ["referens", "status", "mottagen", "företag", "orsak", "beställare",
           "huvudanvändare", "tjänster", "avtal"],
}
ENGLISH = ("reference:", "received:", "orderer:", "main user:", "contract:")


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def columns(output: str) -> set[int]:
    return {len(line) - len(line.partition(":")[2].lstrip(" "))
            for line in output.splitlines()}


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_show_words_the_labels(env: dict[str, str], lang: str) -> None:
    [reference] = submit(FORM)
    for args in (("orders", "show", reference, "--lang", lang),
                 ("--lang", lang, "orders", "show", reference)):
        shown = run(env, *args)
        assert shown.exit_code == 0, shown.output
        assert [line.partition(":")[0] for line in shown.stdout.splitlines()] == LABELS[lang]
        assert len(columns(shown.stdout)) == 1, shown.stdout
        assert reference in shown.stdout and "received" in shown.stdout  # the status code
        assert not any(label in shown.stdout for label in ENGLISH), shown.stdout


def test_reject_and_empty_list(env: dict[str, str]) -> None:
    assert run(env, "orders", "list", "--lang", "fi").stdout.strip() == "ei tilauksia"
    assert run(env, "orders", "list", "--lang", "sv").stdout.strip() == "inga beställningar"
    assert run(env, "orders", "list").stdout.strip() == "no orders"
    [reference] = submit(FORM)
    rejected = run(env, "orders", "reject", reference, "--by", "op", "--reason", "other",
                   "--text", "Tiedot puuttuvat", "--lang", "sv")
    assert rejected.exit_code == 0, rejected.output
    lines = rejected.stdout.splitlines()
    assert any(line.startswith("beslutad:") and line.endswith(" av op") for line in lines)
    assert "avslag:         other: Tiedot puuttuvat" in lines
    assert len(columns(rejected.stdout)) == 1, rejected.stdout
