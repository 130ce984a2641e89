"""pytest plugin: real SMTP capture and invitation fixtures.

Registered through the ``pytest11`` entry point ``devsmtp.pytest_plugin``, which
re-exports this module.

Loaded in every pytest run where the package is installed, so it imports only
pytest here; the server, httpx and :mod:`invitations` are imported inside the
fixtures that need them.

Fixtures: ``smtp_capture`` (session server, private recipient domain per
test), ``smtp_capture_isolated`` (a server of its own), ``smtp_bouncing`` (a
server of its own whose bounce rules send DSNs to your receiver), ``smtp_faults``,
``mail_outbox``, ``clock``, ``invitation_keys``, ``invitation_service``,
``registration_client`` and ``devsmtp_server``. Options: ``--devsmtp-url``, ``--devsmtp-smtp`` and
``--devsmtp-artifacts``. A failing test's mail is saved as ``.eml`` files and
their paths are added to its report.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import httpx

    from invitations import FrozenClock, InvitationService
    from invitations.transports.memory import MemoryTransport

    from .capture import Capture
    from .client import DevSMTPClient

#: Keys the ``invitation_service`` fixture signs with (test use only; >= 32 bytes).
TEST_SECRET_KEYS = ("devsmtp-pytest-plugin-test-key-0001-not-secret",)
TEST_BASE_URL = "http://localhost"


@dataclass
class DevSMTPServer:
    """Where the capture server listens, and how to stop it if we started it."""

    api_url: str
    smtp_host: str
    smtp_port: int
    stop: Callable[[], None] | None = None
    _client: DevSMTPClient | None = field(default=None, repr=False)

    @property
    def client(self) -> DevSMTPClient:
        """One API client for the server, shared by the tests that use it."""
        if self._client is None:
            from .client import DevSMTPClient

            self._client = DevSMTPClient(self.api_url)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self.stop is not None:
            self.stop()


@dataclass(frozen=True)
class _MailSource:
    """Somewhere a test's mail can be saved from when the test fails."""

    label: str
    save: Callable[[Path], list[Path]]
    tmp_path: Path


_SOURCES = pytest.StashKey[list[_MailSource]]()


def _add_env_option(group: pytest.OptionGroup, name: str, env: str, metavar: str,
                    help: str) -> None:
    """``--name``, defaulting to the environment variable ``env`` (named in the help)."""
    group.addoption(name, default=os.environ.get(env), metavar=metavar,
                    help=f"{help}; env {env}")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("devsmtp", "devsmtp mail capture")
    _add_env_option(
        group, "--devsmtp-url", "DEVSMTP_URL", "URL",
        "use the devsmtp already running at URL (its HTTP address, e.g. "
        "http://127.0.0.1:8025) instead of starting one in-process",
    )
    _add_env_option(
        group, "--devsmtp-smtp", "DEVSMTP_SMTP", "HOST:PORT",
        "SMTP address of the server given by --devsmtp-url "
        "(default: the one its GET /api/info reports)",
    )
    group.addoption(
        "--devsmtp-artifacts",
        default=None,
        metavar="DIR",
        help="write the mail captured by a failing test as .eml files under DIR "
        "(default: the test's tmp_path)",
    )


def _start_in_process(data_dir: Path, **options: Any) -> DevSMTPServer:
    from ..server import DevSMTP

    server = DevSMTP(data_dir, smtp_host="127.0.0.1", smtp_port=0,
                     http_host="127.0.0.1", http_port=0, **options)
    server.start()
    return DevSMTPServer(server.api_url, "127.0.0.1", int(server.smtp_port), server.stop)


def _remote(api_url: str, smtp: str | None) -> DevSMTPServer:
    """The server at ``--devsmtp-url``; its SMTP address from ``smtp`` or ``/api/info``."""
    import httpx

    from ..errors import ServerUnreachable

    base = api_url.rstrip("/").removesuffix("/api")
    try:
        info = httpx.get(base + "/api/info", timeout=10, trust_env=False)
        info.raise_for_status()
        smtp = smtp or str(info.json()["smtp"])
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        raise ServerUnreachable(
            f"--devsmtp-url {api_url}: {exc}; start `devsmtp serve` there, or leave the "
            "option out to run one in-process"
        ) from None
    host, _, port = smtp.rpartition(":")
    return DevSMTPServer(base + "/api", host.strip("[]") or "127.0.0.1", int(port))


@pytest.fixture(scope="session")
def devsmtp_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DevSMTPServer]:
    """The session's devsmtp: in-process on free loopback ports, or ``--devsmtp-url``."""
    url = request.config.getoption("devsmtp_url")
    if url:
        server = _remote(url, request.config.getoption("devsmtp_smtp"))
    else:
        server = _start_in_process(tmp_path_factory.mktemp("devsmtp"))
    yield server
    server.close()


def _register(request: pytest.FixtureRequest, capture: Capture, tmp_path: Path) -> Capture:
    source = _MailSource(f"mail to *@{capture.domain}", capture.write_eml, tmp_path)
    request.node.stash.setdefault(_SOURCES, []).append(source)
    return capture


@pytest.fixture
def smtp_capture(
    request: pytest.FixtureRequest, devsmtp_server: DevSMTPServer, tmp_path: Path
) -> Capture:
    """This test's inbox: ``capture.address("alice")`` is ``alice@t-<uuid>.example``.

    The server is shared by the session; the private domain keeps tests (also
    under pytest-xdist or against a shared ``--devsmtp-url``) apart.
    """
    from .capture import Capture

    capture = Capture(devsmtp_server.client, devsmtp_server.smtp_host, devsmtp_server.smtp_port)
    return _register(request, capture, tmp_path)


@pytest.fixture
def smtp_capture_isolated(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Capture]:
    """Like ``smtp_capture`` but with a devsmtp server of its own, stopped afterwards."""
    from .capture import Capture

    server = _start_in_process(tmp_path / "devsmtp")
    try:
        capture = Capture(server.client, server.smtp_host, server.smtp_port)
        yield _register(request, capture, tmp_path)
    finally:
        server.close()


@pytest.fixture
def smtp_bouncing(request: pytest.FixtureRequest, tmp_path: Path
                  ) -> Iterator[Callable[[str], Capture]]:
    """Start a devsmtp of its own whose ``bounce`` fault rules send their DSNs to
    ``relay`` (``HOST:PORT``, your bounce receiver): ``capture = smtp_bouncing(relay)``,
    then ``Faults(capture).bounce(status="5.1.1")``. Servers started here stop after
    the test."""
    from .capture import Capture

    servers: list[DevSMTPServer] = []

    def start(relay: str) -> Capture:
        server = _start_in_process(tmp_path / f"devsmtp-bouncing-{len(servers)}",
                                   bounce_relay=relay)
        servers.append(server)
        capture = Capture(server.client, server.smtp_host, server.smtp_port)
        return _register(request, capture, tmp_path)

    try:
        yield start
    finally:
        for server in servers:
            server.close()


@pytest.fixture
def smtp_faults(request: pytest.FixtureRequest) -> Iterator[Faults]:
    """Install devsmtp fault rules for this test; they are removed afterwards.

    The rules go to ``smtp_capture_isolated``'s server when the test uses it,
    else to the session server behind ``smtp_capture``.
    """
    name = ("smtp_capture_isolated" if "smtp_capture_isolated" in request.fixturenames
            else "smtp_capture")
    faults = Faults(request.getfixturevalue(name))
    yield faults
    faults.clear()


class Faults:
    """Fault rules installed through ``PUT /api/faults`` and removed at teardown.

    Rule fields are devsmtp's (``stage``, ``code``, ``to``, ``from``, ``times``,
    ``delay``, ``disconnect``, ``message``; ``action``, ``status``, ``diagnostic``
    for :meth:`bounce`). A ``rcpt`` or ``data`` rule without
    ``to`` or ``from`` gets ``to="@<this test's domain>"``, so it never hits
    another test's mail on a shared server.
    """

    def __init__(self, capture: Capture) -> None:
        self.capture = capture
        self.ids: list[str] = []

    def add(self, stage: str, **rule: Any) -> dict[str, Any]:
        """Install one rule, e.g. ``add("rcpt", code=451, times=2)``; return it with its id.

        ``from`` is a keyword in Python: pass ``sender=`` for it.
        """
        if "sender" in rule:
            rule["from"] = rule.pop("sender")
        if stage in ("rcpt", "data") and "to" not in rule and "from" not in rule:
            rule["to"] = "@" + self.capture.domain
        [stored] = self.capture.client.add_faults([{"stage": stage, **rule}])
        self.ids.append(str(stored["id"]))
        return stored

    def bounce(self, status: str = "5.1.1", diagnostic: str | None = None,
               **rule: Any) -> dict[str, Any]:
        """Accept the test's mail with 250, then send a DSN with ``status`` and
        ``diagnostic`` to its envelope sender (the server needs a bounce relay: see
        ``smtp_bouncing``). Further fields as :meth:`add` (``to``, ``sender``, ``times``,
        ``delay``)."""
        fields: dict[str, Any] = {"action": "bounce", "status": status, **rule}
        if diagnostic is not None:
            fields["diagnostic"] = diagnostic
        return self.add("data", **fields)

    def clear(self) -> None:
        ids, self.ids = self.ids, []
        self.capture.client.clear_faults(ids)


@pytest.fixture
def mail_outbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MemoryTransport]:
    """A ``memory://`` transport with an outbox of its own (``.outbox``, ``.wire``).

    Read a message with ``CapturedMail.from_outgoing(mail_outbox.outbox[0])``.
    """
    from invitations.transports.memory import MemoryTransport

    with MemoryTransport() as transport:
        def save(directory: Path) -> list[Path]:
            from .capture import write_eml
            from .mail import CapturedMail

            return write_eml(directory, [CapturedMail.from_outgoing(m) for m in transport.outbox])

        source = _MailSource("mail in mail_outbox", save, tmp_path)
        request.node.stash.setdefault(_SOURCES, []).append(source)
        yield transport


@pytest.fixture
def clock() -> FrozenClock:
    """A frozen clock the test moves: ``clock.advance(days=7, seconds=1)``."""
    from invitations import FrozenClock

    return FrozenClock()


@pytest.fixture
def invitation_keys() -> list[str]:
    """Secret keys for ``invitation_service``, newest first (override to test rotation)."""
    return list(TEST_SECRET_KEYS)


@pytest.fixture
def invitation_service(
    smtp_capture: Capture, clock: FrozenClock, invitation_keys: list[str], tmp_path: Path
) -> Iterator[InvitationService]:
    """An ``InvitationService`` sending through real SMTP to ``smtp_capture``.

    SQLite store in ``tmp_path``, test keys, the ``clock`` fixture, links on
    ``http://localhost`` (``/register?token=...``).
    """
    from invitations import InvitationService, SQLiteInvitationStore
    from invitations.transports import transport_from_url

    # Made here, so that its kept-open SMTP connection is closed here too.
    with transport_from_url(smtp_capture.smtp_url) as transport:
        store = SQLiteInvitationStore(tmp_path / "invitations.sqlite3")
        service = InvitationService(
            invitation_keys, TEST_BASE_URL, transport, store=store, clock=clock
        )
        yield service
        service.close()
        store.close()


@pytest.fixture
def registration_client(
    invitation_service: InvitationService, invitation_keys: list[str]
) -> Iterator[httpx.Client]:
    """An ``httpx.Client`` on the reference registration pages for ``invitation_service``.

    The pages (``invitations.web.create_app``) run under uvicorn on a free
    loopback port; use ``mail.assert_link_works(registration_client)``.
    """
    import httpx

    from invitations.web import create_app
    from invitations.web.server import BackgroundServer

    app = create_app(invitation_service, session_keys=invitation_keys)
    server = BackgroundServer().start(app)
    try:
        with httpx.Client(base_url=server.url, trust_env=False) as client:
            yield client
    finally:
        server.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    sources = item.stash.get(_SOURCES, [])
    if report.failed and sources and report.when in ("call", "setup"):
        lines = _write_artifacts(item, sources)
        if lines:
            report.sections.append(("devsmtp: mail captured by this test", "\n".join(lines)))
    return report


def _write_artifacts(item: pytest.Item, sources: list[_MailSource]) -> list[str]:
    option = item.config.getoption("devsmtp_artifacts")
    lines = []
    for n, source in enumerate(sources):
        if option:
            slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)[-120:]
            directory = Path(option).resolve() / slug
        else:
            directory = source.tmp_path / "devsmtp-mail"
        if n:  # a second source of the same test gets a folder of its own
            directory = directory / f"source-{n + 1}"
        try:
            paths = source.save(directory)
        except Exception as exc:  # the report must survive a dead server
            lines.append(f"could not save the {source.label}: {exc}")
            continue
        lines.append(f"{len(paths)} {source.label}" + (f", saved in {directory}:" if paths else ""))
        lines.extend(f"  {path}" for path in paths)
    return lines
