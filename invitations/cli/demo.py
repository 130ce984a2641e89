"""``invitations demo``: devsmtp, the registration page and one invitation, on loopback;
also the credential order form and the operator pages with a demo operator.

Everything runs in this process on 127.0.0.1 with embedded defaults: the
SQLite store and devsmtp's messages live in a demo data directory (``.demo``
in the current directory), and a secret key is generated there once. The
invitation goes through real SMTP into devsmtp, whose web inbox shows it.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click
import httpx

from devsmtp.errors import DevSMTPError
from devsmtp.server import DevSMTP
from devsmtp.testing import Capture, DevSMTPClient, MailAssertionError
from invitations.cli.demo_accounts import DemoAccounts, account_path, demo_site
from invitations.cli.logs import log_options, setup_logging
from invitations.cli.output import labelled, language
from invitations.i18n.formatting import Text
from invitations.i18n.texts import T_
from invitations.models import Company, DeliveryState, Inviter, Role
from invitations.orders import OrderService
from invitations.service import InvitationService
from invitations.store import SQLiteInvitationStore
from invitations.web import BasicOperators, create_app
from invitations.web.server import BackgroundServer

SAMPLE_COMPANY = Company("0112038-9", "Esimerkki Oy", contract_number="LOG-123456")
SAMPLE_MAIN_USER = Inviter(
    "maija.paakayttaja@example.com", "Maija Pääkäyttäjä", Role.MAIN_USER, "0112038-9",
    email="maija.paakayttaja@example.com",
)
SAMPLE_INVITEE = "uusi.kayttaja@example.com"
#: Told when an invitation from customer service cannot be delivered.
DEMO_OPERATOR = "asiakaspalvelu@example.com"
KEY_FILE = "secret-key"
#: The demo operator (customer service) of the operator pages, HTTP Basic.
DEMO_OPERATOR_USER = "operator"
OPERATOR_PASSWORD_FILE = "operator-password"


def demo_operators(data_dir: Path) -> BasicOperators:
    """The demo operator: user ``operator``, its password generated into ``data_dir`` once
    (mode 0600; read it from the file, it is never printed)."""
    path = data_dir / OPERATOR_PASSWORD_FILE
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(18) + "\n", encoding="utf-8")
    password = path.read_text(encoding="utf-8").strip()
    return BasicOperators({DEMO_OPERATOR_USER: (password, "Demo-asiakaspalvelu")})


def demo_secret_key(data_dir: Path, lang: str = "en") -> str:
    """The demo's signing key: generated into ``data_dir`` once, then reused."""
    path = data_dir / KEY_FILE
    if path.exists():
        key = path.read_text(encoding="utf-8").strip()
        click.secho(Text(T_("Using the demo secret key in %(path)s."), path=path).message(lang),
                    fg="yellow")
        return key
    key = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(key + "\n", encoding="utf-8")
    click.secho(
        Text(T_("NOTICE: generated a new secret key for the demo in %(path)s. It signs the "
                "demo's links only: never use it in production (set %(variable)s there)."),
             path=path, variable="INVITATIONS_SECRET_KEYS").message(lang),
        fg="yellow",
        bold=True,
    )
    return key


@contextmanager
def _devsmtp(data_dir: Path, smtp_port: int, http_port: int, key: str,
             lang: str) -> Iterator[DevSMTP]:
    server = DevSMTP(
        data_dir / "devsmtp",
        smtp_port=smtp_port,
        http_port=http_port,
        # The inbox's invitation panel shows each link's state from these.
        web={"secret_keys": [key], "invitations_db": str(data_dir / "invitations.sqlite3")},
    )
    try:
        server.start()
    except OSError as exc:
        raise click.ClickException(Text(T_(
            "devsmtp could not listen (%(reason)s); choose other ports with "
            "--smtp-port/--inbox-port, or 0 for free ones"), reason=exc.strerror).message(lang)
        ) from exc
    try:
        yield server
    finally:
        server.stop()


@click.command()
@click.option(
    "--once",
    is_flag=True,
    help="Send one invitation, print the captured mail's summary and link, stop and exit.",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".demo"),
    show_default=True,
    help="Where the demo keeps its SQLite store, captured mail and secret key.",
)
@click.option("--to", "email", default=SAMPLE_INVITEE, show_default=True, help="Whom to invite.")
@click.option("--smtp-port", type=int, default=0, help="devsmtp's SMTP port (0: any free one).")
@click.option("--inbox-port", type=int, default=0, help="devsmtp's inbox port (0: any free one).")
@click.option("--web-port", type=int, default=0, help="Registration page port (0: any free one).")
@log_options(default_level="warning")
def demo(
    once: bool, data_dir: Path, email: str, smtp_port: int, inbox_port: int, web_port: int,
    log_level: str, log_format: str,
) -> None:
    """Run devsmtp and the registration page on 127.0.0.1 and send one invitation.

    Prints the inbox URL, the registration URL and the demo host's sign-in page
    (the account is created in the demo's own SQLite user directory); Ctrl-C
    stops everything.
    """
    setup_logging(log_level.lower(), log_format)
    lang = language(None)  # the group's --lang, else the environment
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # keys, mail with links
    key = demo_secret_key(data_dir, lang)
    with ExitStack() as stack:
        smtp = stack.enter_context(_devsmtp(data_dir, smtp_port, inbox_port, key, lang))
        try:
            web = BackgroundServer(port=web_port, access_log=True)
        except OSError as exc:
            raise click.ClickException(Text(T_(
                "the registration page could not listen on port %(port)s (%(reason)s); "
                "choose another with --web-port, or 0 for a free one"),
                port=web_port, reason=exc.strerror).message(lang)
            ) from exc
        stack.callback(web.stop)
        store = SQLiteInvitationStore(data_dir / "invitations.sqlite3")
        stack.callback(store.close)
        service = InvitationService(
            [key], web.url, f"smtp://127.0.0.1:{smtp.smtp_port}", store=store,
            operator_address=DEMO_OPERATOR,
        )
        # The demo host's own user directory: the registration creates the account
        # there, and its sign-in page (/login) takes the password just chosen.
        accounts = DemoAccounts(account_path(data_dir))
        # The credential order form (/order) and customer service's pages
        # (/operator/orders) with the demo operator.
        web.start(demo_site(create_app(service, session_keys=[key], accounts=accounts,
                                       login_url=f"{web.url}/login",
                                       orders=OrderService(service),
                                       operators=demo_operators(data_dir)), accounts))
        inbox_url = f"http://127.0.0.1:{smtp.http_port}/"
        try:
            mail = _send_and_capture(service, smtp, email, lang)
        except (DevSMTPError, MailAssertionError, httpx.HTTPError) as exc:
            raise click.ClickException(Text(
                T_("could not read the captured mail from devsmtp at %(url)s: %(reason)s"),
                url=smtp.api_url, reason=str(exc)).message(lang)
            ) from exc
        operator = Text(T_("%(url)s (user %(user)s, password in %(path)s)"),
                        url=f"{web.url}/operator/orders", user=repr(DEMO_OPERATOR_USER),
                        path=data_dir / OPERATOR_PASSWORD_FILE).message(lang)
        _print_summary(mail, inbox_url, data_dir / "devsmtp", lang,
                       ((T_("Order form"), f"{web.url}/order"), (T_("Operator"), operator)))
        if once:
            status = _check_page(mail["link"], lang)
            click.echo(Text(T_("The registration page answers %(status)s (the form is shown)."),
                            status=status).message(lang))
            return
        click.echo("")
        click.secho(Text(T_("Press Ctrl-C to stop.")).message(lang), bold=True)
        _wait_for_ctrl_c()
    click.echo(Text(T_("Stopped devsmtp and the registration page.")).message(lang))


#: The captured mail's summary fields (labels of the ``errors`` catalog), in order.
SUMMARY_FIELDS = (T_("From"), T_("To"), T_("Subject"), T_("Languages"), T_("Expires"))


def _print_summary(mail: dict[str, str], inbox_url: str, devsmtp_data: Path, lang: str,
                   more: tuple[tuple[str, str], ...] = ()) -> None:
    """The captured mail's summary, then the addresses (and ``more`` rows) in one column."""
    click.echo("")
    click.secho(Text(T_("Captured invitation")).message(lang), bold=True)
    summary = labelled([(field, mail[field]) for field in SUMMARY_FIELDS], lang)
    click.echo("\n".join(f"  {line}" for line in summary))
    click.echo("")
    rows = [
        (T_("Inbox"), inbox_url),
        (T_("Message"), f"{inbox_url}messages/{mail['id']}"),
        (T_("Registration"), mail["link"]),
        (T_("Sign in"), f"{mail['link'].split('/register')[0]}/login"),
        (T_("devsmtp CLI"), f"devsmtp list --data {devsmtp_data}"),
        *more,
    ]
    click.echo("\n".join(labelled(rows, lang)))


def _send_and_capture(service: InvitationService, smtp: DevSMTP, email: str,
                      lang: str) -> dict[str, str]:
    """Send through real SMTP, then wait (pushed, not polled) until devsmtp stored it."""
    with DevSMTPClient(smtp.api_url) as client:
        capture = Capture(client, "127.0.0.1", smtp.smtp_port)
        invitation = service.send_invite(
            email,
            company=SAMPLE_COMPANY,
            invited_by=SAMPLE_MAIN_USER,
            first_name="Matti",
            last_name="Virtanen",
        )
        if invitation.delivery_state is not DeliveryState.SENT:
            raise click.ClickException(Text(
                T_("the invitation to %(email)s was not delivered to devsmtp: %(reason)s"),
                email=email, reason=invitation.last_error or str(invitation.delivery_state)
            ).message(lang))
        mail = capture.wait_for(to=invitation.email, timeout=10)
        return {
            "From": str(mail.message.get("From", mail.sender)),
            "To": ", ".join(mail.to),
            "Subject": mail.subject,
            "Languages": ", ".join(mail.languages),
            "Expires": invitation.expires_at.isoformat(),
            "id": str(mail.id),
            "link": mail.invitation_link,
        }


def _check_page(link: str, lang: str) -> int:
    # A GET changes nothing: the link still works for the person afterwards.
    with httpx.Client(follow_redirects=True, timeout=10, trust_env=False) as client:
        response = client.get(link)
    if response.status_code != 200 or 'data-testid="page-register"' not in response.text:
        raise click.ClickException(Text(
            T_("the registration page answered %(status)s for %(link)s"),
            status=response.status_code, link=link).message(lang))
    return response.status_code


def _wait_for_ctrl_c() -> None:
    stop = threading.Event()
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        click.echo("")
