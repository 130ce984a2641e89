"""The bounce receiver: an aiosmtpd server for the bounce address.

The MX of the bounce domain (or a relay's forwarding rule) hands bounces to
it over SMTP. It accepts mail only for the configured bounce address (plain or
tagged, ``bounces+<tag>@example.org``) and any further addresses it is given;
other recipients get ``550 5.1.1``. A mail over ``max_size`` bytes is refused
with ``552`` before it is stored anywhere. Each accepted mail goes to
:meth:`~invitations.service.InvitationService.record_bounce` in a worker
thread (at most ``workers`` at once), and is answered ``250`` whatever the
outcome (ignored and unknown mail included: a bounce of a bounce helps
nobody); only an internal failure (the database away) answers ``451``, so
the sending MTA tries again later.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from aiosmtpd.smtp import SMTP, Envelope, Session

from invitations.bounces.dsn import MAX_MAIL_BYTES
from invitations.errors import ConfigurationError, InvitationError

if TYPE_CHECKING:
    from invitations.service import InvitationService

__all__ = ["DEFAULT_MAX_SIZE", "BounceHandler", "BounceReceiver"]

log = logging.getLogger("invitations.bounces.receiver")

#: The largest bounce accepted; a DSN returning a larger mail is refused with 552.
DEFAULT_MAX_SIZE = MAX_MAIL_BYTES


class BounceHandler:
    """The aiosmtpd handler: recipients checked at RCPT, each mail recorded at DATA."""

    def __init__(self, service: InvitationService, addresses: Iterable[str] = (), *,
                 workers: int = 4) -> None:
        self.service = service
        self.addresses = {a.strip().casefold() for a in addresses if a.strip()}
        if service.return_path is None and not self.addresses:
            raise ConfigurationError(
                "the bounce receiver needs the bounce address: set "
                "INVITATIONS_BOUNCE_ADDRESS (or give --address)")
        self._slots = asyncio.Semaphore(workers)

    def accepts(self, address: str) -> bool:
        """Whether mail to ``address`` is for this receiver."""
        path = self.service.return_path
        if path is not None and path.accepts(address):
            return True
        return address.strip().strip("<>").casefold() in self.addresses

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if not self.accepts(address):
            log.info("refused a recipient that is not a bounce address")
            log.debug("refused recipient %s", address)
            return "550 5.1.1 Not a bounce address here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        async with self._slots:
            try:
                outcome = await asyncio.to_thread(
                    self.service.record_bounce, raw, recipients=list(envelope.rcpt_tos))
            except InvitationError as error:  # the store is away: the MTA retries
                log.error("could not record a bounce: %s", error)
                return "451 4.3.0 Bounce not recorded; try again later"
            except Exception:
                log.exception("could not record a bounce")
                return "451 4.3.0 Bounce not recorded; try again later"
        return f"250 2.0.0 Bounce {outcome.result}: {outcome.why}"


class BounceReceiver:
    """The receiver on ``host:port``, its event loop in a background thread; a context
    manager. ``port=0`` picks a free port (see :attr:`port` once started)."""

    def __init__(self, service: InvitationService, host: str = "127.0.0.1", port: int = 2525,
                 *, addresses: Iterable[str] = (), max_size: int = DEFAULT_MAX_SIZE,
                 workers: int = 4, hostname: str = "invitations-bounces") -> None:
        self.handler = BounceHandler(service, addresses, workers=workers)
        self.host = host
        self.port = port
        self.max_size = max_size
        self.hostname = hostname
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None

    def _protocol(self) -> SMTP:
        return SMTP(self.handler, hostname=self.hostname, data_size_limit=self.max_size,
                    timeout=60)

    def start(self) -> None:
        """Listen (raises ``OSError`` if the address is taken), then serve in a thread."""
        loop = asyncio.new_event_loop()
        try:
            server = loop.run_until_complete(loop.create_server(
                self._protocol, self.host, self.port))
        except BaseException:
            loop.close()
            raise
        self._loop, self._server = loop, server
        self.port = int(server.sockets[0].getsockname()[1])
        self._thread = threading.Thread(target=loop.run_forever, name="bounce-receiver",
                                        daemon=True)
        self._thread.start()
        log.info("bounce receiver listening on %s:%s", self.host, self.port)

    def stop(self) -> None:
        loop, server, thread = self._loop, self._server, self._thread
        if loop is None or server is None or thread is None:
            return

        async def close() -> None:
            server.close()
            await server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()
        self._loop = self._server = self._thread = None
        log.info("bounce receiver stopped")

    def __enter__(self) -> BounceReceiver:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
