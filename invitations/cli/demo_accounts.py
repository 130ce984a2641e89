"""The demo's own user directory: the reference :class:`~invitations.accounts.AccountCreator`.

A host application's accounts, kept small: a SQLite table, passwords hashed with
scrypt from the standard library, and a minimal sign-in page, so the demo's
story ends with the new user signing in with the password just chosen.

``create_account`` is idempotent on the invitation id (the table's unique
``invitation_id``): called again for the same invitation (a crash before the
toolkit committed), it updates and returns the account it made, never a second one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from invitations.accounts import AccountRef, AccountRejected
from invitations.errors import FieldError
from invitations.i18n.languages import LANGUAGES
from invitations.i18n.negotiation import negotiate
from invitations.models import Invitation, Registration
from invitations.web.pages import Pages

__all__ = ["DemoAccounts", "demo_site", "hash_password", "verify_password"]

#: scrypt's cost (n = 2**14, r = 8, p = 1: about 16 MiB and 50 ms), as OWASP suggests.
_N, _R, _P = 2**14, 8, 1
#: The host's own blocklist, beside the toolkit's rules (a demo's three entries).
BLOCKED_PASSWORDS = frozenset({"Salasana123!", "Password123!", "Kesakuu2024!"})

_SCHEMA = """CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY,
    invitation_id TEXT NOT NULL UNIQUE,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    email TEXT NOT NULL COLLATE NOCASE,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    created_at TEXT NOT NULL
)"""


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64), with a fresh 16-byte salt."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` hashes to ``stored`` (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expected = base64.b64decode(digest)
    actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r),
                            p=int(p), dklen=len(expected))
    return hmac.compare_digest(actual, expected)


class DemoAccounts:
    """The demo host's accounts in SQLite; an :class:`~invitations.accounts.AccountCreator`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        with self._connect() as conn:
            conn.execute(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            yield conn
        finally:
            conn.close()

    def create_account(self, invitation: Invitation, registration: Registration) -> AccountRef:
        if registration.password in BLOCKED_PASSWORDS:
            raise AccountRejected([FieldError("password", "password_refused")])
        password_hash = hash_password(registration.password)  # slow: outside the lock
        with self._lock, self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                ref = self._upsert(conn, invitation, registration, password_hash)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return ref

    def _upsert(self, conn: sqlite3.Connection, invitation: Invitation,
                registration: Registration, password_hash: str) -> AccountRef:
        mine = conn.execute("SELECT id FROM accounts WHERE invitation_id = ?",
                            (invitation.id,)).fetchone()
        errors = []
        if conn.execute("SELECT 1 FROM accounts WHERE username = ? AND invitation_id != ?",
                        (registration.username, invitation.id)).fetchone():
            errors.append(FieldError("username", "username_taken"))
        if conn.execute("SELECT 1 FROM accounts WHERE email = ? AND invitation_id != ?",
                        (registration.email, invitation.id)).fetchone():
            errors.append(FieldError("email", "email_has_account"))
        if errors:
            raise AccountRejected(errors)
        values = (registration.username, registration.email, registration.first_name,
                  registration.last_name, password_hash, int(registration.email_confirmed))
        if mine is not None:
            # The same invitation again (a retry after a crash): the same account,
            # with what was submitted this time.
            conn.execute("UPDATE accounts SET username = ?, email = ?, first_name = ?, "
                         "last_name = ?, password_hash = ?, enabled = ? WHERE id = ?",
                         (*values, mine["id"]))
            return AccountRef(mine["id"])
        account_id = uuid.uuid4().hex
        conn.execute("INSERT INTO accounts (username, email, first_name, last_name, "
                     "password_hash, enabled, id, invitation_id, created_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (*values, account_id, invitation.id, datetime.now(UTC).isoformat()))
        return AccountRef(account_id)

    def enable_account(self, invitation: Invitation, account: AccountRef) -> None:
        with self._connect() as conn:
            conn.execute("UPDATE accounts SET enabled = 1 WHERE id = ?", (account.id,))

    # -- the host's side: what its sign-in page needs --

    def sign_in(self, username: str, password: str) -> sqlite3.Row | None:
        """The enabled account with this username and password, or ``None``."""
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM accounts WHERE username = ?",
                               (username.strip(),)).fetchone()
        if row is None or not row["enabled"]:
            return None
        return row if verify_password(password, row["password_hash"]) else None

    def accounts(self) -> list[dict[str, object]]:
        """Every account, without its password hash (for tests and the demo's output)."""
        with self._connect() as conn:
            rows = conn.execute("SELECT * FROM accounts ORDER BY created_at").fetchall()
        return [{k: v for k, v in dict(row).items() if k != "password_hash"} for row in rows]


# -- the demo host's sign-in page --------------------------------------------------------------

def sign_in_routes(accounts: DemoAccounts) -> list[BaseRoute]:
    """``GET|POST /login``: the demo host's minimal sign-in page."""

    pages = Pages(LANGUAGES)

    def lang_of(request: Request) -> str:
        return negotiate(request.query_params.get("lang"),
                         request.headers.get("accept-language"), (), LANGUAGES)

    async def form(request: Request) -> Response:
        return pages.render(request, "sign_in.html", lang_of(request),
                            {"username": "", "wrong": False, "signed_in": None})

    async def submit(request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        lang = lang_of(request)
        data = await request.form()
        username, password = str(data.get("username") or ""), str(data.get("password") or "")
        row = await run_in_threadpool(accounts.sign_in, username, password)
        if row is None:
            return pages.render(request, "sign_in.html", lang,
                                {"username": username, "wrong": True, "signed_in": None},
                                status_code=401)
        return pages.render(request, "sign_in.html", lang, {
            "username": username, "wrong": False,
            "signed_in": f"{row['first_name']} {row['last_name']}"})

    return [Route("/login", form, methods=["GET"]), Route("/login", submit, methods=["POST"])]


def demo_site(registration: ASGIApp, accounts: DemoAccounts) -> Starlette:
    """The demo host: its sign-in page beside the registration pages (mounted at ``/``)."""
    return Starlette(routes=[*sign_in_routes(accounts), Mount("", app=registration)])


def account_path(data_dir: Path) -> Path:
    return data_dir / "accounts.sqlite3"
