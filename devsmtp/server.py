"""Run devsmtp in-process: SMTP (and SMTPS) plus the HTTP app, on one event loop.

``DevSMTP(...).start()`` returns once every port listens; the loop runs in a
background thread (uvloop when installed). Sockets are bound by us with port 0
allowed and handed to the servers, so the ports are known without a
pick-then-bind race; they are written to ``DATA_DIR/ports.json``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import threading
import warnings
import weakref
from dataclasses import fields
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from . import web
from .api import ApiContext, create_app
from .catalog import preload as preload_catalogs
from .errors import UnsafeBind, UnsafeSMTPBind
from .httpguard import head_timeout_protocol
from .settings import PORTS_FILE, Settings, is_loopback
from .smtp import CaptureHandler, CaptureSMTP, Faults, ensure_certificate, server_context
from .store import Store

__all__ = ["PORTS_FILE", "DevSMTP", "read_ports"]

#: Options the web inbox reads that may be passed to DevSMTP directly.
WEB_OPTIONS = frozenset(
    {"secret_keys", "invitations_db", "invitation_validity", "invitation_languages", "clock"}
)
log = logging.getLogger("devsmtp")


class _QuietAuthWarning(logging.Filter):
    # aiosmtpd warns on every connection when AUTH is required without TLS;
    # on a loopback test server that is the configuration asked for.
    def filter(self, record: logging.LogRecord) -> bool:
        return "auth_require_tls" not in record.getMessage()


logging.getLogger("mail.log").addFilter(_QuietAuthWarning())


def read_ports(data_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The ports file a running server wrote into ``data_dir``."""
    data: dict[str, Any] = json.loads((Path(data_dir) / PORTS_FILE).read_text("utf-8"))
    return data


def _bind(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def _new_loop(want_uvloop: bool) -> asyncio.AbstractEventLoop:
    if want_uvloop:
        try:
            import uvloop
        except ImportError:
            pass
        else:
            loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
            return loop
    return asyncio.new_event_loop()


class DevSMTP:
    """A devsmtp server in a background thread.

    >>> with DevSMTP(tmp_path) as server:                      # doctest: +SKIP
    ...     smtplib.SMTP("127.0.0.1", server.smtp_port).sendmail(...)
    ...     httpx.get(server.api_url + "/messages").json()

    ``options`` are :class:`~devsmtp.settings.Settings` fields (``size_limit``,
    ``max_messages``, ``max_age``, ``auth``, ``starttls``, ``smtps_port``, ...);
    the web inbox's options (``secret_keys``, ``invitations_db``, ``clock``, ...)
    may be given directly and land in ``settings.web``.
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        smtp_host: str = "127.0.0.1",
        smtp_port: int = 0,
        http_host: str = "127.0.0.1",
        http_port: int = 0,
        **options: Any,
    ) -> None:
        known = {f.name for f in fields(Settings)}
        web_options = dict(options.pop("web", None) or {})
        for name in list(options):
            if name in WEB_OPTIONS:
                web_options[name] = options.pop(name)
            elif name not in known:
                raise TypeError(f"DevSMTP got an unknown option {name!r}")
        self.settings = Settings(
            Path(data_dir),
            smtp_host=smtp_host,
            smtp_port=smtp_port,
            http_host=http_host,
            http_port=http_port,
            web=web_options,
            **options,
        )
        self.store = Store(
            data_dir,
            max_messages=self.settings.max_messages,
            max_age=self.settings.max_age,
            fsync=self.settings.fsync,
        )
        self.faults = Faults(bounce_relay=self.settings.bounce_relay)
        self.handler = CaptureHandler(self.store, self.faults, self.settings)
        self.smtp_port = 0
        self.http_port = 0
        self.smtps_port: int | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._protocols: weakref.WeakSet[CaptureSMTP] = weakref.WeakSet()

    @property
    def api_url(self) -> str:
        """``http://host:port/api``."""
        return f"{self.http_url}/api"

    @property
    def http_url(self) -> str:
        host = self.settings.http_host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.http_port}"

    @property
    def open_connections(self) -> int:
        """How many SMTP connections are open right now."""
        return sum(1 for protocol in list(self._protocols) if protocol.transport is not None)

    def wait_connections_closed(self, timeout: float = 10.0) -> bool:
        """Block until no SMTP connection is open (woken by each close); False on timeout."""
        with self.handler.closed:
            return self.handler.closed.wait_for(lambda: self.open_connections == 0, timeout)

    @property
    def ports(self) -> dict[str, object]:
        """What ``ports.json`` holds (and ``GET /api/info`` shows)."""
        s = self.settings
        return {
            "smtp": f"{s.smtp_host}:{self.smtp_port}",
            "smtp_host": s.smtp_host,
            "smtp_port": self.smtp_port,
            "smtps_port": self.smtps_port,
            "http": f"{s.http_host}:{self.http_port}",
            "http_host": s.http_host,
            "http_port": self.http_port,
            "api": self.api_url,
            "pid": os.getpid(),
        }

    # -- lifecycle -----------------------------------------------------------

    def start(self, timeout: float = 30.0) -> DevSMTP:
        """Start and return when SMTP and HTTP listen; raises what start-up raised."""
        if self._thread is not None:
            return self
        if not is_loopback(self.settings.http_host) and not self.settings.ui_password:
            raise UnsafeBind(self.settings.http_host)
        if not is_loopback(self.settings.smtp_host) and self.settings.credentials is None:
            raise UnsafeSMTPBind(self.settings.smtp_host)
        preload_catalogs()  # a broken UI catalog fails here, not as a 500 on /?lang=sv
        self._ready.clear()
        self._error = None
        self._thread = threading.Thread(target=self._run, name="devsmtp", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            self.stop()
            raise TimeoutError(f"devsmtp did not start within {timeout:g}s")
        if self._error is not None:
            error = self._error
            self._thread.join(timeout)
            self._thread = None
            raise error
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop listening, finish queued writes, close the store (idempotent)."""
        thread, loop, stopping = self._thread, self._loop, self._stopping
        if thread is None:
            return
        if loop is not None and stopping is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stopping.set)
        thread.join(timeout)
        self._thread = None

    def __enter__(self) -> DevSMTP:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        loop = _new_loop(self.settings.uvloop and not self.settings.starttls)
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except BaseException as error:  # reported to start() or logged
            if not self._ready.is_set():
                self._error = error
            else:
                log.exception("devsmtp stopped on an error")
        finally:
            self._ready.set()
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

    async def _main(self) -> None:
        loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        s = self.settings
        self.store.open(loop)
        servers: list[asyncio.AbstractServer] = []
        http: uvicorn.Server | None = None
        http_task: asyncio.Task[None] | None = None
        try:
            tls = None
            if s.tls_wanted:
                cert, key = (
                    (s.tls_cert, s.tls_key)
                    if s.tls_cert and s.tls_key
                    else ensure_certificate(s.data_dir, s.hostname)
                )
                tls = server_context(cert, key)
            smtp_sock = _bind(s.smtp_host, s.smtp_port)
            self.smtp_port = smtp_sock.getsockname()[1]
            servers.append(await loop.create_server(self._factory(loop, tls), sock=smtp_sock))
            if s.smtps_port is not None and tls is not None:
                smtps_sock = _bind(s.smtp_host, s.smtps_port)
                self.smtps_port = smtps_sock.getsockname()[1]
                servers.append(
                    await loop.create_server(self._factory(loop, None), sock=smtps_sock, ssl=tls)
                )
            http_sock = _bind(s.http_host, s.http_port)
            self.http_port = http_sock.getsockname()[1]
            http, http_task = await self._serve_http(http_sock)
            self._write_ports()
            self._ready.set()
            await self._stopping.wait()
        finally:
            await self._shutdown(servers, http, http_task)

    def _factory(self, loop: asyncio.AbstractEventLoop, starttls: Any) -> Any:
        s = self.settings

        def make() -> CaptureSMTP:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                protocol = CaptureSMTP(
                    self.handler,
                    data_size_limit=s.size_limit,
                    enable_SMTPUTF8=True,
                    decode_data=False,
                    hostname=s.hostname,  # never socket.getfqdn(): no DNS lookups
                    ident="devsmtp",
                    tls_context=starttls if s.starttls else None,
                    timeout=s.session_timeout,
                    auth_required=s.credentials is not None,
                    auth_require_tls=False,
                    authenticator=self.handler.authenticate,
                    loop=loop,
                )
            self._protocols.add(protocol)
            return protocol

        return make

    async def _serve_http(
        self, sock: socket.socket
    ) -> tuple[uvicorn.Server, asyncio.Task[None]]:
        ctx = ApiContext(self.store, self.faults, self.handler, self.settings, self.ports,
                         web.web_config(self.settings).checker)
        app = create_app(ctx, web.routes(self.store, self.settings))
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
            # Slow clients: a deadline for each request head, idle keep-alive, a bounded
            # head size and at most so many connections (503 beyond).
            http=head_timeout_protocol(self.settings.http_header_timeout),
            timeout_keep_alive=max(1, round(self.settings.http_keep_alive)),
            h11_max_incomplete_event_size=32 * 1024,
            limit_concurrency=self.settings.http_limit_concurrency,
        )
        server = uvicorn.Server(config)
        task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
        for _ in range(1000):  # bounded: at most ~10 s
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        if task.done():
            task.result()
            raise RuntimeError("the HTTP server stopped during start-up")
        if not server.started:
            raise TimeoutError("the HTTP server did not start")
        return server, task

    def _write_ports(self) -> None:
        path = self.settings.data_dir / PORTS_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.ports, indent=2) + "\n", "utf-8")
        os.replace(tmp, path)

    async def _shutdown(
        self,
        servers: list[asyncio.AbstractServer],
        http: uvicorn.Server | None,
        http_task: asyncio.Task[None] | None,
    ) -> None:
        for server in servers:
            server.close()
        for protocol in list(self._protocols):
            if protocol.transport is not None:
                protocol.transport.close()
        self.store.end_streams()
        if http is not None and http_task is not None:
            http.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(http_task, timeout=5)
        for server in servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), timeout=2)
        await asyncio.sleep(0)
        self.store.close()
        with contextlib.suppress(FileNotFoundError):
            (self.settings.data_dir / PORTS_FILE).unlink()
