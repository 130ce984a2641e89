"""A throw-away PostgreSQL server for the tests (and the benchmark).

``PGServer.start(directory)`` runs Debian's ``initdb`` into a temporary directory
and ``pg_ctl start`` on a unix socket in it plus a free 127.0.0.1 port; never a
system cluster. The server refuses to run as root (CI runs as root): then every
server command runs as the ``postgres`` user of the Debian package through
``runuser``, or as a system user ``invitations-test`` made for it.

One server per pytest process (each pytest-xdist worker starts its own: no lock
files to leak, and ``initdb`` takes about a second). :func:`acquire` and
:func:`release` count the fixtures that use it; the last release stops it.
``INVITATIONS_TEST_PG=<url>`` uses an existing server instead (nothing started).

Each test gets a schema of its own (:func:`schema_url`), so tests share the server
but never see each other's tables.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

ENV = "INVITATIONS_TEST_PG"
SUPERUSER = "invitations"
DATABASE = "invitations"
_TEST_SETTINGS = {
    "fsync": "off",  # a throw-away cluster: durability buys the tests nothing
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "lc_messages": "'C'",  # English server messages, whatever the machine's locale
    "log_min_messages": "warning",
}


class PostgresUnavailable(RuntimeError):
    """The test server could not be started (the reason says why)."""


def binary(name: str) -> str:
    """``initdb``/``pg_ctl``/``postgres`` of the newest installed Debian PostgreSQL."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise PostgresUnavailable(
        f"PostgreSQL's {name} is not installed (/usr/lib/postgresql/*/bin/{name}); "
        "run `make sysdeps` (Debian package postgresql) or set INVITATIONS_TEST_PG"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_user() -> str | None:
    """Who runs the server: ``None`` for the current (unprivileged) user."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "invitations-test"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    "invitations-test"], check=True, capture_output=True)
    return "invitations-test"


@dataclass
class PGServer:
    """A running throw-away server (or an existing one from ``INVITATIONS_TEST_PG``)."""

    root: Path | None
    port: int
    password: str
    socket_dir: Path | None
    run_as: str | None
    external_url: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- starting and stopping --

    @classmethod
    def start(cls, root: Path | None = None, *, settings: dict[str, str] | None = None
              ) -> PGServer:
        """``initdb`` and start; ``settings`` override the test settings (postgresql.conf)."""
        root = Path(tempfile.mkdtemp(prefix="inv-pg-")) if root is None else root
        run_as = _server_user()
        data, sock = root / "data", root / "sock"
        sock.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(16)
        pwfile = root / "pwfile"
        pwfile.write_text(password + "\n")
        pwfile.chmod(0o600)
        if run_as is not None:
            entry = pwd.getpwnam(run_as)
            for path in (root, sock, pwfile):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        server = cls(root, free_port(), password, sock, run_as)
        server._run(binary("initdb"), "-D", str(data), "-U", SUPERUSER, "-E", "UTF8",
                    "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256",
                    f"--pwfile={pwfile}", "--no-sync")
        settings = {**_TEST_SETTINGS, **(settings or {}), "listen_addresses": "'127.0.0.1'",
                    "port": str(server.port), "unix_socket_directories": f"'{sock}'"}
        with (data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        server.pg_ctl("start")
        with psycopg.connect(server.admin_url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")
        return server

    @classmethod
    def external(cls, url: str) -> PGServer:
        return cls(None, 0, "", None, None, external_url=url)

    def _run(self, *argv: str) -> str:
        command = list(argv) if self.run_as is None else ["runuser", "-u", self.run_as, "--",
                                                          *argv]
        done = subprocess.run(command, capture_output=True, text=True, cwd="/", timeout=120)
        if done.returncode != 0:
            raise PostgresUnavailable(
                f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
                + self._log_tail())
        return done.stdout

    def _log_tail(self) -> str:
        log = None if self.root is None else self.root / "server.log"
        if log is None or not log.exists():
            return ""
        return "\nserver log:\n" + "".join(log.read_text(errors="replace").splitlines(True)[-20:])

    def pg_ctl(self, action: str) -> None:
        """``start``, ``stop`` or ``restart`` (fast shutdown), waiting until done."""
        assert self.root is not None, "an external server is not ours to stop"
        extra = ["-m", "fast"] if action in ("stop", "restart") else []
        self._run(binary("pg_ctl"), "-D", str(self.root / "data"), "-l",
                  str(self.root / "server.log"), "-w", "-t", "60", *extra, action)

    def stop(self) -> None:
        if self.root is None:
            return
        with contextlib.suppress(PostgresUnavailable):
            self.pg_ctl("stop")
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    # -- addresses --

    @property
    def owned(self) -> bool:
        return self.external_url is None

    def admin_url(self, dbname: str = DATABASE) -> str:
        """The superuser over the unix socket (trusted), as a keyword string."""
        if self.external_url is not None:
            return self.external_url
        return f"host={self.socket_dir} port={self.port} user={SUPERUSER} dbname={dbname}"

    def tcp_url(self, *, user: str = SUPERUSER, password: str | None = None,
                dbname: str = DATABASE) -> str:
        """A ``postgresql://`` URL over 127.0.0.1 (password authentication)."""
        secret = self.password if password is None else password
        auth = f"{user}:{quote(secret, safe='')}@" if secret else f"{user}@"
        return f"postgresql://{auth}127.0.0.1:{self.port}/{dbname}"

    def _create(self, kind: str, prefix: str) -> str:
        name = prefix + secrets.token_hex(6)
        with psycopg.connect(self.admin_url(), autocommit=True) as conn:
            conn.execute(f"CREATE {kind} {name}")
        return name

    def new_schema(self) -> str:
        """A fresh, empty schema; returns its name."""
        return self._create("SCHEMA", "t_")

    def schema_url(self, schema: str) -> str:
        """The admin connection with ``search_path`` set to ``schema``."""
        return f"{self.admin_url()} options='-c search_path={schema}'"

    def new_database(self) -> str:
        return self._create("DATABASE", "d_")

    def database_url(self, dbname: str) -> str:
        if self.external_url is not None:
            params = psycopg.conninfo.conninfo_to_dict(self.external_url)
            params["dbname"] = dbname
            return psycopg.conninfo.make_conninfo(**params)  # type: ignore[arg-type]
        return self.admin_url(dbname)


_server: PGServer | None = None
_users = 0
_guard = threading.Lock()


def acquire() -> PGServer:
    """The process's server, started on first use."""
    global _server, _users
    with _guard:
        if _server is None:
            url = os.environ.get(ENV, "").strip()
            _server = PGServer.external(url) if url else PGServer.start()
        _users += 1
        return _server


def release() -> None:
    """One user fewer; the last one stops the server (an external one is left alone)."""
    global _server, _users
    with _guard:
        _users -= 1
        if _users == 0 and _server is not None:
            _server.stop()
            _server = None


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PGServer]:
    """The throw-away server of this pytest process (a failure to start fails the test)."""
    try:
        server = acquire()
    except PostgresUnavailable as error:
        pytest.fail(f"the test PostgreSQL server could not be started: {error}")
    yield server
    release()


@pytest.fixture
def pg_url(pg_server: PGServer) -> str:
    """A connection string to a fresh schema of its own."""
    return pg_server.schema_url(pg_server.new_schema())
