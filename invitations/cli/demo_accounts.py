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
import html
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
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from invitations.accounts import AccountRef, AccountRejected
from invitations.errors import FieldError
from invitations.i18n.negotiation import negotiate
from invitations.models import Invitation, Registration

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

_TEXTS = {
    "fi": {"title": "Kirjaudu sisään", "username": "Käyttäjätunnus", "password": "Salasana",
           "submit": "Kirjaudu", "wrong": "Väärä käyttäjätunnus tai salasana.",
           "welcome": "Tervetuloa, {name}! Olet kirjautunut sisään."},
    "sv": {"title": "Logga in", "username": "Användarnamn", "password": "Lösenord",
           "submit": "Logga in", "wrong": "Fel användarnamn eller lösenord.",
           "welcome": "Välkommen, {name}! Du är inloggad."},
    "en": {"title": "Sign in", "username": "Username", "password": "Password",
           "submit": "Sign in", "wrong": "Wrong username or password.",
           "welcome": "Welcome, {name}! You are signed in."},
}


def _sign_in_page(lang: str, body: str, status: int = 200) -> HTMLResponse:
    title = _TEXTS[lang]["title"]
    return HTMLResponse(
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title></head><body><main><h1>{title}</h1>{body}</main></body></html>",
        status_code=status,
    )


def _sign_in_form(lang: str, error: str = "", username: str = "") -> str:
    t = _TEXTS[lang]
    alert = f'<p role="alert" data-testid="sign-in-error">{error}</p>' if error else ""
    return (
        f'{alert}<form method="post" action="/login?lang={lang}">'
        f'<p><label for="username">{t["username"]}</label> '
        f'<input id="username" name="username" autocomplete="username" '
        f'value="{html.escape(username)}" required></p>'
        f'<p><label for="password">{t["password"]}</label> '
        f'<input id="password" name="password" type="password" '
        f'autocomplete="current-password" required></p>'
        f'<p><button type="submit">{t["submit"]}</button></p></form>'
    )


def sign_in_routes(accounts: DemoAccounts) -> list[BaseRoute]:
    """``GET|POST /login``: the demo host's minimal sign-in page."""

    def lang_of(request: Request) -> str:
        return negotiate(request.query_params.get("lang"),
                         request.headers.get("accept-language"), (), tuple(_TEXTS))

    async def form(request: Request) -> Response:
        return _sign_in_page(lang_of(request), _sign_in_form(lang_of(request)))

    async def submit(request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        lang = lang_of(request)
        data = await request.form()
        username, password = str(data.get("username") or ""), str(data.get("password") or "")
        row = await run_in_threadpool(accounts.sign_in, username, password)
        if row is None:
            return _sign_in_page(lang, _sign_in_form(lang, _TEXTS[lang]["wrong"], username),
                                 status=401)
        name = html.escape(f"{row['first_name']} {row['last_name']}")
        welcome = _TEXTS[lang]["welcome"].format(name=name)
        return _sign_in_page(lang, f'<p data-testid="signed-in">{welcome}</p>')

    return [Route("/login", form, methods=["GET"]), Route("/login", submit, methods=["POST"])]


def demo_site(registration: ASGIApp, accounts: DemoAccounts) -> Starlette:
    """The demo host: its sign-in page beside the registration pages (mounted at ``/``)."""
    return Starlette(routes=[*sign_in_routes(accounts), Mount("", app=registration)])


def account_path(data_dir: Path) -> Path:
    return data_dir / "accounts.sqlite3"
