"""The ``devsmtp`` command: ``serve`` runs the server; the rest talk to its API."""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

import click

from .. import __version__
from ..errors import N_, DevSMTPError
from ..settings import PORTS_FILE
from ..smtp.faults import CODES, STAGES
from .client import DEFAULT_DATA, api_for, api_options, echo_json, fail, lang_option, say
from .logs import FORMATS, LEVELS, configure

_data_option = click.option(
    "--data",
    "data_dir",
    envvar="DEVSMTP_DATA",
    default=DEFAULT_DATA,
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Data directory (messages, ports.json, TLS certificate).",
)


def host_port(value: str, option: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) with the port checked to be 0-65535."""
    host, sep, port = value.strip().rpartition(":")
    examples = {"--smtp": "127.0.0.1:1025", "--http": "127.0.0.1:8025"}
    example = say(N_("e.g. %(example)s"),
                  example=f"{option} {examples.get(option, 'smtp.example.com:25')}")
    low = 1 if option == "--relay" else 0
    if not sep or not port.isascii() or not port.isdigit():
        raise click.BadParameter(say(N_("expected HOST:PORT, got %(value)s (%(example)s)"),
                                     value=repr(value), example=example), param_hint=option)
    if not low <= int(port) <= 65535:
        text = (N_("port %(port)s in %(value)s is out of range: a port is %(low)s-65535, "
                   "%(example)s") if low else
                N_("port %(port)s in %(value)s is out of range: a port is %(low)s-65535 "
                   "(0 = any free port), %(example)s"))
        raise click.BadParameter(say(text, port=port, value=repr(value), low=low,
                                     example=example), param_hint=option)
    host = host.strip("[]")
    if any(c.isspace() or ord(c) < 32 for c in host):
        raise click.BadParameter(say(N_("host %(host)s must not contain spaces (%(example)s)"),
                                     host=repr(host), example=example), param_hint=option)
    return host or "127.0.0.1", int(port)


def _first_line(stream: TextIO, option: str) -> str:
    line = stream.readline().strip()
    if not line:
        raise click.BadParameter(say(N_("the file is empty")), param_hint=option)
    return line


@click.group()
@click.version_option(__version__, prog_name="devsmtp")
@lang_option
def main() -> None:
    """devsmtp: capture every mail sent to it, for QA and tests."""


@main.command()
@click.option("--smtp", default="127.0.0.1:1025", show_default=True, help="SMTP HOST:PORT (0=any).")
@click.option("--http", default="127.0.0.1:8025", show_default=True, help="HTTP HOST:PORT (0=any).")
@click.option("--smtps", "smtps_port", type=click.IntRange(0, 65535),
              help="Also listen with implicit TLS on PORT (0-65535).")
@_data_option
@click.option("--max-messages", type=int, default=10_000, show_default=True)
@click.option("--max-age", type=float, help="Prune messages older than SECONDS.")
@click.option("--size-limit", type=int, default=25 * 1024 * 1024, show_default=True)
@click.option("--auth", envvar="DEVSMTP_AUTH",
              help="'any' (accept any login, record it) or USER:PASSWORD (required); "
                   "prefer DEVSMTP_AUTH or --auth-file (argv is visible to every user).")
@click.option("--auth-file", type=click.File("r", encoding="utf-8"),
              help="Read --auth (USER:PASSWORD, first line) from this file.")
@click.option("--starttls", is_flag=True, help="Offer STARTTLS (self-signed cert in DATA/tls).")
@click.option("--tls-cert", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--tls-key", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--relay", "relays", multiple=True,
              help="HOST:PORT that `release` relays to (repeat for more; the first is the "
                   "default). Release never goes anywhere else.")
@click.option("--relay-allow", multiple=True, help="Address or @domain release may send to.")
@click.option("--bounce-relay", default=None,
              help="HOST:PORT where bounce fault rules send their DSNs (the bounce receiver).")
@click.option("--ui-password", envvar="DEVSMTP_UI_PASSWORD", help="Basic-auth password (HTTP).")
@click.option("--no-fsync", is_flag=True, help="Skip fsync (survives kill -9, not power loss).")
@click.option("--secret-keys", envvar=["DEVSMTP_SECRET_KEYS", "INVITATIONS_SECRET_KEYS"],
              help="For the inbox panel; prefer DEVSMTP_SECRET_KEYS or --secret-keys-file.")
@click.option("--secret-keys-file", type=click.File("r", encoding="utf-8"),
              help="Read --secret-keys (NEW,OLD or one key a line) from this file.")
@click.option("--invitations-db", help="The invitation service's SQLite file (inbox panel).")
@click.option("--base-url", help="Links check: the URL the service's links should start with.")
@click.option("--allow-host", "allow_hosts", multiple=True,
              help="Links check: a host besides loopback it may request.")
@click.option("--allowed-host", "allowed_hosts", multiple=True,
              help="A Host name the HTTP side serves besides its address and localhost.")
@click.option("--spamd", envvar="DEVSMTP_SPAMD", help="Spam check: HOST:PORT of a spamd.")
@click.option("--json", "as_json", is_flag=True, help="Print the ports as JSON.")
@lang_option
@click.option("--log-level", type=click.Choice(LEVELS, case_sensitive=False), default="warning",
              show_default=True, help="Least severe records logged (debug adds addresses).")
@click.option("--log-format", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Log lines as text or one JSON object per line (stderr).")
def serve(
    smtp: str,
    http: str,
    smtps_port: int | None,
    data_dir: Path,
    max_messages: int,
    max_age: float | None,
    size_limit: int,
    auth: str | None,
    auth_file: TextIO | None,
    starttls: bool,
    tls_cert: Path | None,
    tls_key: Path | None,
    relays: tuple[str, ...],
    relay_allow: tuple[str, ...],
    bounce_relay: str | None,
    ui_password: str | None,
    no_fsync: bool,
    secret_keys: str | None,
    secret_keys_file: TextIO | None,
    invitations_db: str | None,
    base_url: str | None,
    allow_hosts: tuple[str, ...],
    allowed_hosts: tuple[str, ...],
    spamd: str | None,
    as_json: bool,
    log_level: str,
    log_format: str,
) -> None:
    """Run the SMTP server and the HTTP API/inbox until Ctrl-C or SIGTERM."""
    configure(log_level, log_format)
    from ..server import DevSMTP  # heavy (uvicorn, the web inbox): only here

    smtp_host, smtp_port = host_port(smtp, "--smtp")
    http_host, http_port = host_port(http, "--http")
    parsed = [host_port(relay, "--relay") for relay in relays]
    relay_host, relay_port = parsed[0] if parsed else (None, 25)
    if bounce_relay is not None:
        bounce_host, bounce_port = host_port(bounce_relay, "--relay")
        bounce_relay = f"[{bounce_host}]:{bounce_port}" if ":" in bounce_host else (
            f"{bounce_host}:{bounce_port}")
    if auth_file is not None:
        auth = _first_line(auth_file, "--auth-file")
    if secret_keys_file is not None:
        secret_keys = ",".join(
            key.strip() for key in secret_keys_file.read().replace(",", "\n").splitlines()
            if key.strip()) or None
    web = {k: v for k, v in (("secret_keys", secret_keys), ("invitations_db", invitations_db)) if v}
    server = DevSMTP(
        data_dir,
        smtp_host=smtp_host,
        smtp_port=smtp_port,
        http_host=http_host,
        http_port=http_port,
        smtps_port=smtps_port,
        max_messages=max_messages or None,
        max_age=max_age,
        size_limit=size_limit,
        auth=auth,
        starttls=starttls,
        tls_cert=tls_cert,
        tls_key=tls_key,
        relay_host=relay_host,
        relay_port=relay_port,
        relay_hosts=tuple(f"[{h}]:{p}" if ":" in h else f"{h}:{p}" for h, p in parsed[1:]),
        relay_allow=relay_allow,
        bounce_relay=bounce_relay,
        allowed_hosts=allowed_hosts,
        ui_password=ui_password,
        fsync=not no_fsync,
        web=web,
        check_base_url=base_url,
        check_allow_hosts=allow_hosts,
        spamd=spamd,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        server.start()
    except DevSMTPError as error:
        fail(error)
    except OSError as error:
        raise click.ClickException(say(N_("cannot listen: %(reason)s"), reason=error)) from None
    if as_json:
        click.echo(json.dumps(server.ports))
    else:
        smtps = say(N_(", SMTPS port %(port)s"), port=server.smtps_port) if (
            server.smtps_port) else ""
        click.echo(f"devsmtp {__version__}: SMTP {server.ports['smtp']}{smtps}")
        click.echo(say(N_("  inbox %(inbox)s/  API %(api)s"), inbox=server.http_url,
                       api=server.api_url))
        click.echo(say(N_("  data %(path)s (ports in %(file)s)"), path=data_dir.resolve(),
                       file=PORTS_FILE))
    sys.stdout.flush()
    while not stop.wait(1.0):
        pass
    server.stop()


# -- API clients (shared parts in devsmtp.cli.client) -----------------------------


def _table(messages: list[dict[str, Any]]) -> None:
    for m in messages:
        to = ", ".join(m["to"])
        click.echo(f"{m['id']:>6}  {m['received_at']}  {m['from']}  ->  {to}  | {m['subject']}")


def _filters(to: str | None, sender: str | None, subject: str | None) -> dict[str, str]:
    return {k: v for k, v in (("to", to), ("from", sender), ("subject", subject)) if v}


@main.command(name="list")
@click.option("--to", help="Envelope recipient (or @domain).")
@click.option("--from", "sender", help="Sender contains.")
@click.option("--subject", help="Subject contains (case-insensitive).")
@click.option("-q", "--query", help="Search sender, recipients, subject and text.")
@click.option("--after", type=int, help="Only ids greater than this.")
@click.option("--before", type=int, help="Only ids smaller than this (paging).")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@api_options
def list_(
    ctx: click.Context,
    to: str | None,
    sender: str | None,
    subject: str | None,
    query: str | None,
    after: int | None,
    before: int | None,
    limit: int,
    as_json: bool,
) -> None:
    """List captured messages, newest first."""
    params: dict[str, Any] = {**_filters(to, sender, subject), "limit": limit}
    params.update({k: v for k, v in (("q", query), ("after", after), ("before", before)) if v})
    data = api_for(ctx).call("GET", "/messages", params=params)
    if as_json:
        echo_json(data)
        return
    _table(data["messages"])
    if data["next"]:
        click.echo(say(N_("(more: --before %(next)s)"), next=data["next"]))


@main.command()
@click.argument("message_id", type=int)
@click.option("--raw", "view", flag_value="raw", help="The exact bytes received.")
@click.option("--text", "view", flag_value="text")
@click.option("--html", "view", flag_value="html")
@click.option("--links", "view", flag_value="links")
@click.option("--headers", "view", flag_value="headers")
@click.option("--json", "as_json", is_flag=True)
@api_options
def show(ctx: click.Context, message_id: int, view: str | None, as_json: bool) -> None:
    """Show one message (summary, or one view of it)."""
    api = api_for(ctx)
    if view in ("raw", "text", "html"):
        data = api.call("GET", f"/messages/{message_id}/{view}")
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    detail = api.call("GET", f"/messages/{message_id}")
    if as_json:
        echo_json(detail if view is None else detail[view])
    elif view == "links":
        for link in detail["links"]:
            click.echo(f"[{link['part']}/{link['lang'] or '-'}] {link['url']}  {link['text']}")
    elif view == "headers":
        for name, value in detail["headers"]:
            click.echo(f"{name}: {value}")
    else:
        env = detail["envelope"]
        received = say(N_("%(when)s from %(peer)s"), when=detail["received_at"],
                       peer=env["peer"])
        rows = [(N_("Id"), detail["id"]), (N_("Received"), received),
                (N_("Envelope"), f"{env['mail_from']} -> {', '.join(env['rcpt_to'])}"),
                (N_("From"), detail["from"]), (N_("Subject"), detail["subject"])]
        click.echo("\n".join(f"{say(label)}: {value}" for label, value in rows))
        size, languages = say(N_("Size")), say(N_("Languages"))
        click.echo(f"{size}: {detail['size']}  {languages}: {', '.join(detail['languages'])}")
        if detail["malformed"]:
            click.echo(say(N_("Malformed")) + ": " + ", ".join(detail["defects"]))
        click.echo("")
        click.echo(detail["text"] or say(N_("(no text part)")))


@main.command()
@click.option("--to", help="Envelope recipient (or @domain).")
@click.option("--from", "sender")
@click.option("--subject")
@click.option("--after", type=int, help="Ignore ids up to this one.")
@click.option("--count", type=int, default=1, show_default=True)
@click.option("--timeout", type=float, default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@api_options
def wait(
    ctx: click.Context,
    to: str | None,
    sender: str | None,
    subject: str | None,
    after: int | None,
    count: int,
    timeout: float,
    as_json: bool,
) -> None:
    """Wait until a matching message is stored; exit 1 on timeout."""
    params: dict[str, Any] = {**_filters(to, sender, subject), "count": count, "timeout": timeout}
    if after is not None:
        params["after"] = after
    data = api_for(ctx).call("GET", "/wait", ok=(408,), params=params)
    if as_json:
        echo_json(data)
    elif "error" not in data:
        _table(data["messages"])
    if "error" in data:
        if not as_json:
            click.echo(say(N_("timeout after %(seconds)s s; what did arrive:"),
                           seconds=f"{timeout:g}"), err=True)
            for m in data["arrived"]:
                click.echo(f"  {m['id']}  {', '.join(m['to'])}  | {m['subject']}", err=True)
        ctx.exit(1)


@main.command()
@click.option("--to", help="Only this recipient's inbox (or @domain).")
@api_options
def clear(ctx: click.Context, to: str | None) -> None:
    """Delete all messages, or one inbox's."""
    data = api_for(ctx).call("DELETE", "/messages", params={"to": to} if to else {})
    click.echo(say(N_("deleted %(n)s"), n=data["deleted"]))


@main.group()
def fault() -> None:
    """Fault injection rules."""


@fault.command(name="add")
@click.option("--stage", type=click.Choice(STAGES),
              help="connect, mail, rcpt or data (required unless --bounce).")
@click.option("--code", type=click.Choice([str(c) for c in CODES]))
@click.option("--to", help="Only for this recipient (or @domain).")
@click.option("--from", "sender", help="Only for this sender.")
@click.option("--times", type=int, help="Only the first N attempts.")
@click.option("--delay", type=float, default=0.0, help="Delay the reply by SECONDS.")
@click.option("--disconnect", is_flag=True, help="Close the connection (mid-DATA at data).")
@click.option("--message", help="Reply text after the code.")
@click.option("--bounce", "bounce_status", metavar="STATUS",
              help="Accept, then send a DSN with this status (e.g. 5.1.1) through the "
                   "server's --bounce-relay.")
@click.option("--diagnostic", help="With --bounce: the remote reply the DSN reports.")
@click.option("--json", "as_json", is_flag=True)
@api_options
def fault_add(
    ctx: click.Context,
    stage: str,
    code: str | None,
    to: str | None,
    sender: str | None,
    times: int | None,
    delay: float,
    disconnect: bool,
    message: str | None,
    bounce_status: str | None,
    diagnostic: str | None,
    as_json: bool,
) -> None:
    """Install a rule; prints its id."""
    if stage is None and bounce_status is None:
        raise click.UsageError(say(N_("give --stage (or --bounce STATUS for a bounce rule)")))
    rule: dict[str, Any] = {"stage": stage, "code": int(code) if code else None, "to": to,
                            "from": sender, "times": times, "delay": delay,
                            "disconnect": disconnect, "message": message,
                            "action": "bounce" if bounce_status else None,
                            "status": bounce_status, "diagnostic": diagnostic}
    data = api_for(ctx).call("PUT", "/faults", json={k: v for k, v in rule.items() if v})
    if as_json:
        echo_json(data)
    else:
        click.echo(data["rules"][0]["id"])


@fault.command(name="list")
@click.option("--json", "as_json", is_flag=True)
@api_options
def fault_list(ctx: click.Context, as_json: bool) -> None:
    """List installed rules and how often each fired."""
    data = api_for(ctx).call("GET", "/faults")
    if as_json:
        echo_json(data)
        return
    for r in data["rules"]:
        scope = " ".join(f"{k}={r[k]}" for k in ("to", "from", "times") if r[k] is not None)
        action = r["code"] or ("disconnect" if r["disconnect"] else f"delay {r['delay']}s")
        if r.get("action") == "bounce":
            action = f"bounce {r['status']}"
        click.echo(f"{r['id']}  {r['stage']:<7} {action}  {scope}  fired={r['fired']}")


@fault.command(name="clear")
@click.argument("rule_id", required=False)
@api_options
def fault_clear(ctx: click.Context, rule_id: str | None) -> None:
    """Remove one rule by id, or all rules."""
    data = api_for(ctx).call("DELETE", f"/faults/{rule_id}" if rule_id else "/faults")
    click.echo(say(N_("deleted %(n)s"), n=data["deleted"]))


@main.command()
@click.argument("message_id", type=int)
@click.option("--to", "recipients", multiple=True, required=True, help="Relay to (allow-listed).")
@click.option("--relay", help="HOST:PORT of the SMTP server (default: the server's --relay).")
@click.option("--from", "sender", help="Envelope sender (default: the captured one).")
@api_options
def release(
    ctx: click.Context,
    message_id: int,
    recipients: tuple[str, ...],
    relay: str | None,
    sender: str | None,
) -> None:
    """Relay a captured message unchanged to a real SMTP server."""
    body: dict[str, Any] = {"to": list(recipients)}
    if relay:
        body["host"], body["port"] = host_port(relay, "--relay")
    if sender:
        body["from"] = sender
    data = api_for(ctx).call("POST", f"/messages/{message_id}/release", json=body)
    click.echo(say(N_("released %(id)s to %(to)s via %(relay)s"), id=data["released"],
                   to=", ".join(data["to"]), relay=data["relay"]))
