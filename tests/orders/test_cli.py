"""``invitations orders list|show|approve|reject``, text and ``--json``."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner, Result

from invitations.cli import main
from invitations.config import service_from_env
from invitations.orders import OrderForm, OrderService
from tests.orders.conftest import CHANGE, FORM


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, ["orders", *args], env=env)


def submit(*forms: OrderForm) -> list[str]:
    with service_from_env() as service:
        orders = OrderService(service)
        return [orders.submit(form).reference for form in forms]


def test_list_show_approve(env: dict[str, str], tmp_path: Path) -> None:
    [reference] = submit(FORM)
    listed = run(env, "list")
    assert listed.exit_code == 0 and reference in listed.output and "received" in listed.output
    shown = json.loads(run(env, "show", reference, "--json").stdout)
    assert shown["order"]["reference"] == reference
    assert shown["order"]["main_user_email"] == "maija@acme.fi"
    refused = run(env, "approve", reference, "--by", "op@posti.fi", "--lang", "fi")
    assert refused.exit_code == 1 and "contract_number_required" in refused.output
    assert "logistiikan sopimustunnus" in refused.output
    done = run(env, "approve", reference, "--by", "op@posti.fi", "--by-name", "Olga",
               "--contract-number", "LOG-77", "--json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["order"]["status"] == "approved"
    assert data["invitation"]["id"] == data["order"]["invitation_id"]
    assert data["invitation"]["role"] == "main_user"
    assert len(list((tmp_path / "mail").iterdir())) == 2  # acknowledgement, invitation
    again = json.loads(run(env, "reject", reference, "--by", "op", "--reason", "incomplete",
                           "--json").stdout)
    assert again["ok"] is False and again["code"] == "order_decided"


def test_reject_and_filters(env: dict[str, str]) -> None:
    first, second = submit(FORM, replace(CHANGE, company_id="2077474-0"))
    rejected = run(env, "reject", first, "--by", "op", "--reason", "other",
                   "--text", "Tiedot puuttuvat")
    assert rejected.exit_code == 0, rejected.output
    assert "rejection:  other: Tiedot puuttuvat" in rejected.output
    only = json.loads(run(env, "list", "--status", "received", "--json").stdout)
    assert [o["reference"] for o in only["orders"]] == [second]
    assert only["orders"][0]["reason"] == "main_user_changed"
    missing = run(env, "show", "TT-2026-999999")
    assert missing.exit_code == 1 and "order_not_found" in missing.output
