"""Real aiosmtpd servers on 127.0.0.1 for tests, each on its own loop and thread.

``SMTPServer(handler).start()`` listens on port 0 and reports the bound port.
``bind()`` reserves the port first without listening, so a test can have a
"server down" (connections refused) that later comes up on the same port.
Handlers here script replies, drop connections and close after N messages.
Tests wait on what the server saw (:meth:`SMTPServer.wait_for_messages`,
:meth:`SMTPServer.wait_for_closed`), never for a fixed time.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, AnyStr, Self

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session


@dataclass
class Received:
    """One message as the server saw it."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    mail_options: list[str]
    #: True when the session was encrypted (SMTPS or after STARTTLS).
    tls: bool
    #: The name the client gave in EHLO/HELO.
    helo: str


class Recorder:
    """Accept everything and keep what arrived in :attr:`messages`."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self.connections = 0
        #: Connections that have ended, closed by either side.
        self.closed = 0
        self._changed = threading.Condition()

    def connection_ended(self) -> None:
        with self._changed:
            self.closed += 1
            self._changed.notify_all()

    def wait(self, what: str, predicate: Callable[[], bool], timeout: float) -> None:
        """Block until ``predicate()`` holds, woken by each message and closed connection."""
        with self._changed:
            if not self._changed.wait_for(predicate, timeout):
                raise AssertionError(
                    f"waited {timeout} s for {what}; the server has {len(self.messages)} "
                    f"message(s), {self.connections} connection(s), {self.closed} closed"
                )

    def reply(self, server: SMTP, envelope: Envelope) -> str:
        return "250 2.0.0 Ok: queued"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        status = self.reply(server, envelope)
        if status.startswith("2"):
            with self._changed:
                self.messages.append(
                    Received(
                        str(envelope.mail_from),
                        list(envelope.rcpt_tos),
                        bytes(envelope.original_content or b""),
                        list(envelope.mail_options),
                        _encrypted(server, session),
                        str(session.host_name),
                    )
                )
                self._changed.notify_all()
        return status


def _abort(server: SMTP) -> None:
    transport = server.transport
    if isinstance(transport, asyncio.Transport):
        transport.abort()


def _encrypted(server: SMTP, session: Session) -> bool:
    if session.ssl is not None:
        return True
    transport = server.transport
    return transport is not None and transport.get_extra_info("ssl_object") is not None


class Scripted(Recorder):
    """Answer DATA with ``replies`` in turn (``"drop"`` closes the connection
    without answering, mid-DATA), then with 250 forever."""

    def __init__(self, replies: Iterable[str] = (), *, rcpt: dict[str, str] | None = None) -> None:
        super().__init__()
        self.replies = list(replies)
        self.rcpt = rcpt or {}

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        status = self.rcpt.get(address, "250 OK")
        if status.startswith("2"):
            envelope.rcpt_tos.append(address)
        return status

    def reply(self, server: SMTP, envelope: Envelope) -> str:
        status = self.replies.pop(0) if self.replies else "250 2.0.0 Ok: queued"
        if status == "drop":
            _abort(server)
        return status


class Slow(Recorder):
    """Takes ``delay`` seconds per message, so that parallel clients overlap."""

    def __init__(self, delay: float = 0.01) -> None:
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


class Stall(Recorder):
    """Receives DATA, then never answers: the client waits for the final reply."""

    def __init__(self) -> None:
        super().__init__()
        self.in_data = threading.Event()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.in_data.set()
        await asyncio.sleep(60)
        return "451 4.3.0 Too late"


class CloseAfter(Recorder):
    """Close each connection after ``n`` messages, silently or with a 421
    to the next MAIL (``say_421=True``), like relays that limit a session."""

    def __init__(self, n: int, *, say_421: bool = False) -> None:
        super().__init__()
        self.n = n
        self.say_421 = say_421
        self._count: dict[int, int] = {}

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self._count.get(id(session), 0) >= self.n:
            assert server.transport is not None
            asyncio.get_running_loop().call_soon(server.transport.close)
            return "421 4.7.0 Too many messages in one session, closing"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    def reply(self, server: SMTP, envelope: Envelope) -> str:
        session = server.session
        count = self._count[id(session)] = self._count.get(id(session), 0) + 1
        if count >= self.n and not self.say_421:
            assert server.transport is not None
            # Runs after the 250 below is written: a server closing an idle session.
            asyncio.get_running_loop().call_soon(server.transport.close)
        return super().reply(server, envelope)


def password_authenticator(user: str, password: str) -> Any:
    """An aiosmtpd authenticator accepting exactly ``user``/``password``."""

    def check(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = data.login == user.encode() and data.password == password.encode()
        return AuthResult(success=ok, handled=False)

    return check


class TrackedSMTP(SMTP):
    """aiosmtpd's server protocol, telling its :class:`Recorder` when a connection ends."""

    def connection_lost(self, error: Exception | None) -> None:
        try:
            super().connection_lost(error)
        finally:
            handler = self.event_handler
            if isinstance(handler, Recorder):
                handler.connection_ended()


class PipeliningSMTP(TrackedSMTP):
    """aiosmtpd, which reads commands in order anyway, advertising PIPELINING
    (RFC 2920) as Postfix and most relays do; each MAIL notes whether the
    client had already sent the rest of the envelope (the DATA command)."""

    def __init__(self, handler: Recorder, pipelined: list[bool], **options: Any) -> None:
        super().__init__(handler, **options)
        self.pipelined = pipelined

    async def push(self, status: AnyStr) -> None:
        if status == "250 HELP":  # the last line of aiosmtpd's EHLO reply
            await super().push("250-PIPELINING")
        await super().push(status)

    async def smtp_MAIL(self, arg: str) -> None:
        self.pipelined.append(b"DATA\r\n" in bytes(self._reader._buffer))
        await super().smtp_MAIL(arg)


class SMTPServer:
    """An aiosmtpd server on 127.0.0.1, port 0, in a background thread.

    ``implicit_tls`` is an SSL context for SMTPS; ``pipelining`` advertises
    PIPELINING (:class:`PipeliningSMTP`, which fills :attr:`pipelined`); other
    keyword arguments go to :class:`aiosmtpd.smtp.SMTP` (``tls_context``,
    ``require_starttls``, ``auth_required``, ``authenticator``, ...).
    """

    def __init__(
        self,
        handler: Recorder | None = None,
        *,
        implicit_tls: ssl.SSLContext | None = None,
        pipelining: bool = False,
        **smtp_options: Any,
    ) -> None:
        self.handler = handler if handler is not None else Recorder()
        self.implicit_tls = implicit_tls
        self.pipelining = pipelining
        #: Per MAIL command (pipelining servers only): had DATA already arrived?
        self.pipelined: list[bool] = []
        self.smtp_options = {"hostname": "localhost", **smtp_options}
        self.port = 0
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._protocols: list[SMTP] = []

    def bind(self) -> int:
        """Reserve the port without listening: clients are refused until start()."""
        if self._sock is None:
            self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._sock.bind(("127.0.0.1", 0))
            self.port = self._sock.getsockname()[1]
        return self.port

    def _protocol(self) -> SMTP:
        self.handler.connections += 1
        protocol = (
            PipeliningSMTP(self.handler, self.pipelined, **self.smtp_options)
            if self.pipelining
            else TrackedSMTP(self.handler, **self.smtp_options)
        )
        self._protocols.append(protocol)
        return protocol

    def start(self) -> Self:
        self.bind()
        sock = self._sock
        assert sock is not None
        loop = self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                server = loop.run_until_complete(
                    loop.create_server(self._protocol, sock=sock, ssl=self.implicit_tls)
                )
            except BaseException as error:  # reported to the starting thread
                errors.append(error)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            server.close()
            for protocol in self._protocols:
                _abort(protocol)
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

        self._thread = threading.Thread(target=run, name=f"smtpd-{self.port}", daemon=True)
        self._thread.start()
        if not ready.wait(10) or errors:
            raise RuntimeError(f"SMTP test server did not start: {errors}")
        return self

    def stop(self) -> None:
        if self._thread is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            assert not self._thread.is_alive(), "SMTP test server thread did not stop"
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def wait_for_messages(self, count: int, timeout: float = 20) -> None:
        """Return once ``count`` messages were accepted; fail the test after ``timeout`` s."""
        self.handler.wait(f"{count} message(s)", lambda: len(self.messages) >= count, timeout)

    def wait_for_closed(self, count: int, timeout: float = 10) -> None:
        """Return once ``count`` connections have ended on the server's side."""
        self.handler.wait(
            f"{count} closed connection(s)", lambda: self.handler.closed >= count, timeout
        )


@dataclass
class Certificates:
    """A private CA and a server certificate for 127.0.0.1/localhost it signed."""

    ca: Path
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_certificates(directory: Path, name: str = "test") -> Certificates:
    """Generate a CA and a server certificate (SAN 127.0.0.1, localhost)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    paths = Certificates(
        directory / f"{name}-ca.pem", directory / f"{name}.pem", directory / f"{name}.key"
    )
    paths.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths
