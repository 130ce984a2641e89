"""Serve an ASGI app with uvicorn in a background thread (demo and browser tests).

The listening socket is bound here, before uvicorn starts, so that port 0
works and the chosen port is known before anyone needs it (the service's
``base_url`` must name it). There is no pick-a-free-port-then-bind race.

With ``access_log=True`` (the demo) uvicorn logs each request line, through
:class:`~invitations.web.access_log.RedactTokens`: ``GET /register?token=[redacted]``.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from typing import Self

import uvicorn
from starlette.types import ASGIApp

from invitations.web.access_log import redact_access_log


class BackgroundServer:
    """uvicorn on ``host:port`` in a daemon thread.

    The socket is bound on construction (so :attr:`url` is known before the
    app that needs it is built); serving starts with :meth:`start` and ends
    with :meth:`stop`, which also closes the socket when serving never began.
    ``access_log`` logs each request (``uvicorn.access``, INFO) with tokens redacted.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0,
                 access_log: bool = False) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._socket.bind((host, port))
        except OSError:
            self._socket.close()
            raise
        self.host = host
        self.access_log = access_log
        self.port: int = self._socket.getsockname()[1]
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, app: ASGIApp, timeout: float = 10.0) -> Self:
        """Serve ``app``; return once uvicorn accepts connections."""
        config = uvicorn.Config(app, log_level="warning", access_log=self.access_log,
                                lifespan="off")
        # Installed whatever access_log says: a request line never carries a token.
        redact_access_log()
        if self.access_log:
            logging.getLogger("uvicorn.access").setLevel(logging.INFO)
        server = self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=[self._socket])),
            name=f"uvicorn-{self.port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the web server on {self.url} did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask uvicorn to finish, wait for its thread and close the socket."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._socket.close()
