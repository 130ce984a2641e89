"""``invitations bounces``: take bounces in (``serve``: the SMTP receiver for the
bounce address; ``import``: from Maildir, mbox or ``.eml`` files).

Configuration comes from the ``INVITATIONS_*`` environment variables, the bounce
address from ``INVITATIONS_BOUNCE_ADDRESS`` (see :mod:`invitations.config`).
"""

from __future__ import annotations

import threading

import click

from invitations.bounces.dsn import MAX_MAIL_BYTES
from invitations.bounces.mailbox import import_paths
from invitations.cli.logs import log_options, setup_logging
from invitations.cli.output import (
    emit,
    fail,
    json_option,
    lang_option,
    language,
    service_from_environment,
)
from invitations.cli.signals import stop_on_signals
from invitations.errors import InvitationError
from invitations.i18n.formatting import Text
from invitations.i18n.texts import T_

__all__ = ["bounces"]

def _host_port(value: str, lang: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise click.BadParameter(Text(T_(
            "%(value)s is not HOST:PORT; write it like 127.0.0.1:2525"), value=value
        ).message(lang), param_hint="--smtp")
    return host, int(port)


@click.group()
def bounces() -> None:
    """Take in bounces: mail that a relay accepted and later returned undeliverable."""


@bounces.command("serve")
@click.option("--smtp", "listen", default="127.0.0.1:2525", show_default=True,
              help="HOST:PORT to listen on for bounces (the MX or relay forwards them here).")
@click.option("--address", "addresses", multiple=True,
              help="A further address to accept bounces for (besides "
              "INVITATIONS_BOUNCE_ADDRESS); repeat for more.")
@click.option("--max-size", type=click.IntRange(1024, 100 * 1024 * 1024),
              default=MAX_MAIL_BYTES, show_default=True,
              help="Largest bounce accepted, in bytes (larger: 552).")
@log_options()
@lang_option
def serve(listen: str, addresses: tuple[str, ...], max_size: int, log_level: str,
          log_format: str, lang: str | None) -> None:
    """Receive bounces over SMTP until stopped (Ctrl-C or SIGTERM)."""
    from invitations.bounces.receiver import BounceReceiver  # needs aiosmtpd

    lang = language(lang)
    host, port = _host_port(listen, lang)
    setup_logging(log_level.lower(), log_format)
    with service_from_environment(False, lang) as service:
        try:
            receiver = BounceReceiver(service, host, port, addresses=addresses,
                                      max_size=max_size)
        except InvitationError as error:
            fail(error, False, lang)
        with receiver, stop_on_signals(threading.Event(), lang) as stop:
            click.echo(Text(T_("Receiving bounces on %(where)s; Ctrl-C stops."),
                            where=f"{host}:{receiver.port}").message(lang), err=True)
            stop.wait()


@bounces.command("import")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=True, readable=True))
@click.option("--max-size", type=click.IntRange(1024, 100 * 1024 * 1024),
              default=MAX_MAIL_BYTES, show_default=True,
              help="Mail larger than this (bytes) is skipped.")
@lang_option
@json_option
def import_(paths: tuple[str, ...], max_size: int, lang: str | None, as_json: bool) -> None:
    """Record the bounces in Maildir directories, mbox files or .eml files."""
    lang = language(lang)
    with service_from_environment(as_json, lang) as service:
        done = import_paths(service, list(paths), max_size=max_size)
    if as_json:
        emit({"ok": True, "mails": [
            {"source": d.source, "skipped": d.outcome is None,
             "outcome": None if d.outcome is None else d.outcome.to_dict()} for d in done]})
        return
    for item in done:
        if item.outcome is None:
            click.echo(f"{item.source}: " + Text(T_("skipped: larger than %(size)s bytes"),
                                                  size=max_size).message(lang))
        else:
            outcome = item.outcome
            values: dict[str, object] = {"source": item.source, "result": outcome.result,
                                         "why": outcome.why}
            line = (Text(T_("%(source)s: %(result)s %(why)s (invitation %(id)s)"),
                         id=outcome.invitation_id, **values) if outcome.invitation_id
                    else Text(T_("%(source)s: %(result)s %(why)s"), **values))
            click.echo(line.message(lang))
    click.echo(Text(T_("%(count)s mails read, %(changed)s invitations marked bounced."),
                    count=len(done),
                    changed=sum(1 for d in done if d.outcome and d.outcome.changed)
                    ).message(lang))
