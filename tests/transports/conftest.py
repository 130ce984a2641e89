"""Fixtures for transport tests: real aiosmtpd servers and a sample message."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.transports.smtpd import Certificates, Recorder, SMTPServer, make_certificates


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., SMTPServer]]:
    """Factory: ``smtp_server(handler, **options)`` starts a server, stopped at teardown."""
    servers: list[SMTPServer] = []

    def start(
        handler: Recorder | None = None, *, started: bool = True, **options: Any
    ) -> SMTPServer:
        server = SMTPServer(handler, **options)
        servers.append(server)
        if started:
            server.start()
        else:
            server.bind()
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_certificates(tmp_path_factory.mktemp("other"), "other").ca
