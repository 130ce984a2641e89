"""The portal's own users, in a SQLite table: what the registration creates.

:class:`PortalAccounts` implements :class:`invitations.AccountCreator`. Passwords are
hashed with scrypt from the standard library (:func:`hash_password`); the row is keyed
by the invitation id, so a second call for the same invitation (a retry after a
crash) updates and returns the same user instead of making another.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from invitations import AccountRef, AccountRejected, FieldError, Invitation, Registration

__all__ = ["PortalAccounts", "User", "hash_password", "password_matches"]

#: scrypt's work factors (16 MiB of memory per hash) and the stored format's name.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 1 << 14, 8, 1
SCHEME = "scrypt"

_TABLE = """
CREATE TABLE IF NOT EXISTS users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    invitation_id TEXT NOT NULL UNIQUE,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    email         TEXT NOT NULL COLLATE NOCASE,
    full_name     TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_active     INTEGER NOT NULL
)"""


def hash_password(password: str) -> str:
    """``scrypt:n:r:p:salt:digest`` (hex) of ``password`` with a fresh random salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R,
                            p=SCRYPT_P)
    return ":".join((SCHEME, str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), salt.hex(),
                     digest.hex()))


def password_matches(password: str, stored: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made from (constant time)."""
    parts = stored.split(":")
    if len(parts) != 6 or parts[0] != SCHEME:
        return False
    try:
        n, r, p = (int(part) for part in parts[1:4])
        salt, digest = bytes.fromhex(parts[4]), bytes.fromhex(parts[5])
    except ValueError:  # not a hash this code wrote
        return False
    candidate = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                               dklen=len(digest))
    return hmac.compare_digest(candidate, digest)


@dataclass(frozen=True)
class User:
    """One row of the portal's users table (the password hash stays in the table)."""

    id: int
    invitation_id: str
    username: str
    email: str
    full_name: str
    is_active: bool


class PortalAccounts:
    """The portal's users table; an :class:`invitations.AccountCreator`.

    Safe to call from several threads: every call opens its own connection, and
    writes take SQLite's write lock up front (``BEGIN IMMEDIATE``).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        with self._connection() as db:
            db.execute(_TABLE)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            yield db
        finally:
            db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # -- the AccountCreator protocol ---------------------------------------------

    def create_account(self, invitation: Invitation, registration: Registration) -> AccountRef:
        """Create (or, for an invitation seen before, update) the user; refuse a
        username or e-mail address another user has."""
        password_hash = hash_password(registration.password)  # slow: before the lock
        with self._transaction() as db:
            clashes = db.execute(
                "SELECT username = ? COLLATE NOCASE, email = ? COLLATE NOCASE FROM users "
                "WHERE invitation_id != ? AND (username = ? OR email = ?)",
                (registration.username, registration.email, invitation.id,
                 registration.username, registration.email)).fetchall()
            errors = []
            if any(same_name for same_name, _ in clashes):
                errors.append(FieldError("username", "username_taken"))
            if any(same_email for _, same_email in clashes):
                errors.append(FieldError("email", "email_has_account"))
            if errors:
                raise AccountRejected(errors)
            db.execute(
                "INSERT INTO users (invitation_id, username, email, full_name, password_hash,"
                " is_active) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (invitation_id) DO UPDATE"
                " SET username = excluded.username, email = excluded.email,"
                " full_name = excluded.full_name, password_hash = excluded.password_hash,"
                " is_active = excluded.is_active",
                (invitation.id, registration.username, registration.email,
                 f"{registration.first_name} {registration.last_name}", password_hash,
                 int(registration.email_confirmed)))
            (user_id,) = db.execute("SELECT id FROM users WHERE invitation_id = ?",
                                    (invitation.id,)).fetchone()
        return AccountRef(str(user_id))

    def enable_account(self, invitation: Invitation, account: AccountRef) -> None:
        """Activate the user made inactive for a changed, now confirmed, address."""
        with self._transaction() as db:
            db.execute("UPDATE users SET is_active = 1 WHERE id = ?", (int(account.id),))

    # -- what the portal's own sign-in needs -------------------------------------

    def find(self, username: str) -> User | None:
        """The user with ``username`` (any letter case), or ``None``."""
        with self._connection() as db:
            row = db.execute("SELECT id, invitation_id, username, email, full_name, is_active"
                             " FROM users WHERE username = ?", (username,)).fetchone()
        return None if row is None else User(row[0], row[1], row[2], row[3], row[4],
                                             bool(row[5]))

    def authenticate(self, username: str, password: str) -> User | None:
        """The active user whose password this is, or ``None``."""
        with self._connection() as db:
            row = db.execute("SELECT password_hash FROM users WHERE username = ?",
                             (username,)).fetchone()
        user = self.find(username)
        if row is None or user is None or not user.is_active:
            return None
        return user if password_matches(password, row[0]) else None

    def count(self) -> int:
        """How many users there are."""
        with self._connection() as db:
            (n,) = db.execute("SELECT COUNT(*) FROM users").fetchone()
        return int(n)
