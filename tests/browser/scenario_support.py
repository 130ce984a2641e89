"""Helpers for the browser tests of the registration pages and the full scenario.

Everything here is real: the service on a SQLite file, uvicorn on a loopback
port chosen by the OS, and (for the scenario) devsmtp receiving the mail over
SMTP. Only the clock is frozen, so that a test can step past the 7 days.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from invitations.clock import FrozenClock
from invitations.models import Company, Invitation, Inviter
from invitations.service import InvitationService
from invitations.store import SQLiteInvitationStore
from invitations.transports.base import Transport
from invitations.transports.memory import MemoryTransport
from invitations.web import create_app
from invitations.web.server import BackgroundServer

KEY = "browser-tests-secret-key-0123456789abcdef"
COMPANY = Company("0112038-9", "Esimerkki Oy", contract_number="LOG-123456")
MAIN_USER = Inviter("maija@example.com", "Maija Pääkäyttäjä", "main_user", "0112038-9")
OPERATOR = Inviter("asiakaspalvelu@posti.fi", "Postin asiakaspalvelu", "operator")
GOOD_PASSWORD = "Vahva2024+Kala"
#: Breaks three of the document's rules for "Matti Virtanen": too short, no digit, "vir".
BAD_PASSWORD = "Virtax"
#: What the three broken rules say, per language, in the order they are shown.
THREE_RULES = {
    "fi": ("vähintään 10 merkkiä", "vähintään yksi numero", "kolmea peräkkäistä kirjainta"),
    "sv": ("minst 10 tecken", "minst en siffra", "tre bokstäver i följd"),
    "en": ("at least 10 characters", "at least one digit", "three consecutive letters"),
}
#: A fixed start (Friday 7 March 2025 15.05 in Helsinki) so screenshots show stable dates.
START = datetime(2025, 3, 7, 13, 5, tzinfo=UTC)


@dataclass
class Site:
    """A running registration page and the service behind it."""

    service: InvitationService
    clock: FrozenClock
    web: BackgroundServer
    devsmtp: Any = None
    transport: Transport | None = None
    #: The extra ``create_app`` arguments the site was built with.
    app_options: dict[str, Any] = field(default_factory=dict)

    def invite(self, email: str = "uusi.kayttaja@example.com", **kwargs: Any) -> Invitation:
        kwargs.setdefault("company", COMPANY)
        kwargs.setdefault("invited_by", MAIN_USER)
        return self.service.send_invite(email, **kwargs)

    @property
    def inbox_url(self) -> str:
        assert self.devsmtp is not None, "this site runs without devsmtp"
        return f"http://127.0.0.1:{self.devsmtp.http_port}/"


#: What a site adds to ``create_app``'s arguments, given its service (the order form).
AppOptions = Callable[[InvitationService], dict[str, Any]]


def _serve(stack: ExitStack, tmp_path: Path, transport: Transport | str,
           clock: FrozenClock, app_options: AppOptions | None = None) -> Site:
    web = BackgroundServer()
    stack.callback(web.stop)
    store = SQLiteInvitationStore(tmp_path / "invitations.sqlite3")
    stack.callback(store.close)
    service = InvitationService([KEY], web.url, transport, store=store, clock=clock)
    extra = app_options(service) if app_options is not None else {}
    web.start(create_app(service, session_keys=[KEY], **extra))
    return Site(service, clock, web, transport=service.transport, app_options=extra)


@contextmanager
def registration_site(tmp_path: Path, app_options: AppOptions | None = None
                      ) -> Iterator[Site]:
    """The registration page alone; mail goes to an in-memory outbox."""
    with ExitStack() as stack:
        yield _serve(stack, tmp_path, MemoryTransport(), FrozenClock(START), app_options)


@contextmanager
def full_site(tmp_path: Path, app_options: AppOptions | None = None) -> Iterator[Site]:
    """devsmtp (SMTP + web inbox) and the registration page, mail over real SMTP
    (``app_options``: more of ``create_app``'s arguments, e.g. the order form)."""
    from devsmtp.server import DevSMTP

    clock = FrozenClock(START)
    with ExitStack() as stack:
        # devsmtp reads the service's store with the same keys and clock, to show
        # each link's state in its invitation panel; the service creates the file.
        options = {"secret_keys": [KEY], "invitations_db": str(tmp_path / "invitations.sqlite3"),
                   "clock": clock}
        smtp = DevSMTP(tmp_path / "devsmtp", web=options)
        smtp.start()
        stack.callback(smtp.stop)
        site = _serve(stack, tmp_path, f"smtp://127.0.0.1:{smtp.smtp_port}", clock,
                      app_options)
        site.devsmtp = smtp
        yield site


@dataclass
class Screenshots:
    """Numbered full-page screenshots of each step."""

    directory: Path
    taken: list[Path] = field(default_factory=list)

    def __call__(self, page: Page, name: str) -> Path:
        path = self.directory / f"{len(self.taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 1000, f"screenshot {path} is empty"
        self.taken.append(path)
        return path


def fill_registration(page: Page, *, password: str, first: str = "Matti",
                      last: str = "Virtanen", email: str | None = None) -> None:
    """Fill the form as a person would (the e-mail and username stay prefilled)."""
    page.get_by_test_id("field-first_name").locator("input").fill(first)
    page.get_by_test_id("field-last_name").locator("input").fill(last)
    if email is not None:
        page.get_by_test_id("field-email").locator("input").fill(email)
    page.get_by_test_id("field-password").locator("input").fill(password)


def expect_three_password_errors(page: Page, lang: str) -> None:
    """The three messages of :data:`BAD_PASSWORD`, beside the password field, in ``lang``."""
    field = page.get_by_test_id("field-password")
    items = field.get_by_test_id("errors-password").locator("li")
    expect(items).to_have_count(3)
    for index, fragment in enumerate(THREE_RULES[lang]):
        expect(items.nth(index)).to_contain_text(fragment)
    expect(field.locator("input")).to_have_attribute("aria-invalid", "true")
