"""``invitations orders``: customer service's side of the credential order form.

``list`` and ``show`` read; ``approve`` invites the order's main user (with the
logistics contract number when SmartShip is ordered and the company has none);
``reject`` tells the orderer why. Every command takes ``--json``. The form's
address in the mails is ``INVITATIONS_ORDER_URL`` (default ``<base URL>/order``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import click

from invitations.cli.output import (
    emit,
    json_option,
    labelled,
    lang_option,
    language,
    service_from_environment,
    show_invitation,
)
from invitations.i18n.formatting import Text
from invitations.i18n.texts import T_
from invitations.models import CredentialOrder, Inviter, OrderStatus, Role
from invitations.orders import REJECTION_CODES, OrderService

__all__ = ["orders"]

#: Where the order form is, for the links in the order mails.
ORDER_URL_VARIABLE = "INVITATIONS_ORDER_URL"


@contextmanager
def _orders(as_json: bool, lang: str) -> Iterator[OrderService]:
    # A toolkit error inside the block ends the command cleanly (service_from_environment).
    with service_from_environment(as_json, lang) as service:
        yield OrderService(service, form_url=os.environ.get(ORDER_URL_VARIABLE) or None)


def _operator(by_id: str, name: str | None) -> Inviter:
    return Inviter(by_id, name, Role.OPERATOR)


_PREVIOUS = T_("previous")
_DECIDED = T_("decided")
_REJECTION = T_("rejection")
_INVITATION = T_("invitation")


def show_order(order: CredentialOrder, as_json: bool, lang: str = "en") -> None:
    """One order, as JSON or as labelled lines in ``lang``."""
    if as_json:
        emit({"ok": True, "order": order.to_dict()})
        return
    contract = order.company.contract_number or (
        Text(T_("ordered")).message(lang) if order.order_contract else "-")
    rows = [
        (T_("reference"), order.reference),
        (T_("status"), str(order.status)),
        (T_("received"), order.created_at.isoformat()),
        (T_("company"), f"{order.company.name} ({order.company.business_id})"),
        (T_("reason"), str(order.reason)),
        (T_("orderer"), f"{order.orderer_name} <{order.orderer_email}>"
         + (f" {order.orderer_phone}" if order.orderer_phone else "")),
        (T_("main user"), f"{order.main_user_first_name} {order.main_user_last_name} "
         f"<{order.main_user_email}>"),
        (T_("services"), ", ".join(order.services) or "-"),
        (T_("contract"), contract),
    ]
    if order.previous_main_user_name or order.previous_main_user_email:
        rows.append((_PREVIOUS, f"{order.previous_main_user_name or '-'} "
                                f"<{order.previous_main_user_email or '-'}>"))
    if order.decided_at is not None:
        rows.append((_DECIDED, Text(T_("%(when)s by %(who)s"),
                                    when=order.decided_at.isoformat(),
                                    who=order.decided_by).message(lang)))
    if order.rejection_code:
        rows.append((_REJECTION, order.rejection_code
                     + (f": {order.rejection_text}" if order.rejection_text else "")))
    if order.invitation_id:
        rows.append((_INVITATION, order.invitation_id))
    click.echo("\n".join(labelled(rows, lang,
                                   also=(_PREVIOUS, _DECIDED, _REJECTION, _INVITATION))))


@click.group()
def orders() -> None:
    """Credential orders ("tunnustilauslomake"): list, show, approve, reject."""


@orders.command("list")
@click.option("--status", type=click.Choice([str(s) for s in OrderStatus]), default=None)
@click.option("--company-id", default=None, help="Only this company's orders.")
@lang_option
@json_option
def list_orders(status: str | None, company_id: str | None, lang: str | None,
                as_json: bool) -> None:
    """List credential orders, newest first."""
    lang = language(lang)
    with _orders(as_json, lang) as service:
        found = service.list(status=status, company_id=company_id)
        if as_json:
            emit({"ok": True, "orders": [o.to_dict() for o in found]})
            return
        for order in found:
            click.echo(f"{order.reference}  {order.status:<8}  {order.company.business_id}  "
                       f"{order.company.name}  {order.reason}  "
                       f"{order.created_at:%Y-%m-%d %H:%M}")
        if not found:
            click.echo(Text(T_("no orders")).message(lang))


@orders.command("show")
@click.argument("reference")
@lang_option
@json_option
def show(reference: str, lang: str | None, as_json: bool) -> None:
    """Show one order (REFERENCE like TT-2026-000123)."""
    lang = language(lang)
    with _orders(as_json, lang) as service:
        show_order(service.get(reference), as_json, lang)


@orders.command("approve")
@click.argument("reference")
@click.option("--by", "by_id", required=True, help="The operator's id or e-mail.")
@click.option("--by-name", default=None, help="The operator's name (shown as the inviter).")
@click.option("--contract-number", default=None,
              help="Logistics contract number; required when SmartShip is ordered and the "
              "company has none.")
@lang_option
@json_option
def approve(reference: str, by_id: str, by_name: str | None, contract_number: str | None,
            lang: str | None, as_json: bool) -> None:
    """Approve the order: the main user is invited (the mail goes out)."""
    lang = language(lang)
    with _orders(as_json, lang) as service:
        order, invitation = service.approve(reference, by=_operator(by_id, by_name),
                                            contract_number=contract_number)
        if as_json:
            emit({"ok": True, "order": order.to_dict(), "invitation": invitation.to_dict()})
            return
        show_order(order, False, lang)
        click.echo("")
        show_invitation(invitation, False, lang)


@orders.command("reject")
@click.argument("reference")
@click.option("--by", "by_id", required=True, help="The operator's id or e-mail.")
@click.option("--by-name", default=None)
@click.option("--reason", "code", type=click.Choice(REJECTION_CODES), required=True,
              help="Why; 'other' needs --text.")
@click.option("--text", default=None, help="The reason in words (with --reason other).")
@lang_option
@json_option
def reject(reference: str, by_id: str, by_name: str | None, code: str, text: str | None,
           lang: str | None, as_json: bool) -> None:
    """Reject the order: the orderer gets a mail saying why and what to do."""
    lang = language(lang)
    with _orders(as_json, lang) as service:
        show_order(service.reject(reference, by=_operator(by_id, by_name), code=code,
                                  text=text), as_json, lang)
