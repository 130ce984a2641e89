"""The ``invitations`` command: one click group; each command lives in the module
of its subject and is added here explicitly.

- :mod:`~invitations.cli.invite`: send, verify, redeem, confirm-email, resend,
  revoke, list, check-password
- :mod:`~invitations.cli.bulk`: send-bulk
- :mod:`~invitations.cli.deliver`: deliver (the outbox worker)
- :mod:`~invitations.cli.db`: db upgrade, db status (the store's schema)
- :mod:`~invitations.cli.bounces`: bounces serve, bounces import
- :mod:`~invitations.cli.preview`: preview
- :mod:`~invitations.cli.demo`: demo
- :mod:`~invitations.cli.orders`: orders list, show, approve, reject (credential orders)
- :mod:`~invitations.cli.output`: what the commands share (options, printing, errors)
"""

from __future__ import annotations

import click

from invitations import __version__
from invitations.cli.bounces import bounces
from invitations.cli.bulk import send_bulk
from invitations.cli.db import db
from invitations.cli.deliver import deliver_command
from invitations.cli.demo import demo
from invitations.cli.invite import (
    check_password_command,
    confirm_email,
    list_,
    redeem,
    resend,
    revoke,
    send,
    verify,
)
from invitations.cli.orders import orders
from invitations.cli.output import LANG_KEY
from invitations.cli.preview import preview
from invitations.cli.speech import LocalizedGroup
from invitations.i18n.languages import LANGUAGES

__all__ = ["main"]


@click.group(cls=LocalizedGroup)
@click.version_option(__version__, prog_name="invitations")
@click.option("--lang", type=click.Choice(LANGUAGES), default=None,
              help="Language of messages for every command (default: INVITATIONS_LANG, "
              "else LANG, else en).")
@click.pass_context
def main(ctx: click.Context, lang: str | None) -> None:
    """Send, verify and manage signed user invitations."""
    if lang is not None:
        ctx.meta[LANG_KEY] = lang


for _command in (send, verify, redeem, confirm_email, resend, revoke, list_,
                 check_password_command, send_bulk, deliver_command, preview, demo):
    main.add_command(_command)
del _command
main.add_command(db)
main.add_command(bounces)
main.add_command(orders)
