"""Configuration from environment variables, for the CLI and the module-level API.

============================== ==========================================================
``INVITATIONS_SECRET_KEYS``    comma-separated keys, newest first (each >= 32 bytes);
                               the first signs, all verify (rotation)
``INVITATIONS_BASE_URL``       where the registration page lives, e.g. https://portal.fi
``INVITATIONS_TRANSPORT``      transport URL, e.g. ``smtp://127.0.0.1:1025``
                               (default ``console://``)
``INVITATIONS_DB``             the store: a SQLite file (default ``invitations.db``;
                               ``sqlite:///path`` and ``:memory:`` ok) or PostgreSQL
                               (``postgresql://user@host:5432/db``, ``postgres://``, or
                               libpq keywords ``host=... dbname=...``; the password from
                               the URL, ``PGPASSWORD`` or ``~/.pgpass``, never printed)
``INVITATIONS_DB_MIGRATE``     ``1`` (default): migrate the schema forward at start;
                               ``0``: refuse an old schema (``invitations db upgrade``)
``INVITATIONS_DB_POOL_SIZE``   PostgreSQL connections per process (default 8)
``INVITATIONS_SENDER``         From header (default ``Posti <noreply@posti.fi>``)
``INVITATIONS_LANGUAGES``      default language order (default ``fi,sv,en``)
``INVITATIONS_PASSWORD_POLICY`` ``document`` (default) or ``nist``
``INVITATIONS_OPERATOR_ADDRESS`` the operator (customer service) mailbox: told when an
                               invitation could not be delivered and its inviter is
                               an operator or has no address (default: none)
============================== ==========================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from invitations.clock import Clock
from invitations.errors import ConfigurationError
from invitations.events import Events
from invitations.i18n.languages import LANGUAGES
from invitations.notify import FollowUp, UndeliverableNotifier
from invitations.password import PasswordPolicy
from invitations.service import (
    DEFAULT_SENDER,
    InvitationService,
    check_operator_address,
    check_sender,
)
from invitations.store import open_store
from invitations.store.base import SQLStore
from invitations.store.protocol import InvitationStore
from invitations.tokens import check_secret_keys
from invitations.validation import normalize_languages

DEFAULT_DB = "invitations.db"
DEFAULT_TRANSPORT = "console://"


def store_from_env(environ: Mapping[str, str] | None = None, *,
                   migrate: bool | None = None) -> SQLStore:
    """The store ``INVITATIONS_DB`` names (PostgreSQL or SQLite), opened and migrated."""
    env = os.environ if environ is None else environ
    db = env.get("INVITATIONS_DB", "").strip() or DEFAULT_DB
    if migrate is None:
        flag = env.get("INVITATIONS_DB_MIGRATE", "1").strip().lower()
        if flag not in ("0", "1", "no", "yes", "false", "true", ""):
            raise ConfigurationError(f"INVITATIONS_DB_MIGRATE must be 1 or 0, not {flag!r}")
        migrate = flag not in ("0", "no", "false")
    size = env.get("INVITATIONS_DB_POOL_SIZE", "").strip()
    if size and not (size.isdigit() and int(size) >= 1):
        raise ConfigurationError(
            f"INVITATIONS_DB_POOL_SIZE must be a whole number of connections, not {size!r}")
    return open_store(db, migrate=migrate, pool_size=int(size) if size else None)


def follow_up_from_env(store: InvitationStore, clock: Clock,
                       environ: Mapping[str, str] | None = None) -> FollowUp:
    """What a delivery worker without a service (``invitations deliver``) does after
    each result: events (to nobody but the log) and the notice of a 5xx to the inviter,
    from ``INVITATIONS_SENDER``, ``INVITATIONS_LANGUAGES`` and
    ``INVITATIONS_OPERATOR_ADDRESS``; no signing keys needed."""
    env = os.environ if environ is None else environ
    sender, domain = check_sender(env.get("INVITATIONS_SENDER", "").strip() or DEFAULT_SENDER)
    languages = normalize_languages(_languages(env), LANGUAGES)
    notifier = UndeliverableNotifier(
        store, clock=clock, sender=sender, msgid_domain=domain, languages=languages,
        operator_address=check_operator_address(env.get("INVITATIONS_OPERATOR_ADDRESS")))
    return FollowUp(store, Events(clock), notifier)


def _languages(env: Mapping[str, str]) -> tuple[str, ...]:
    """``INVITATIONS_LANGUAGES`` as a tuple (default: every supported language)."""
    return tuple(
        lang.strip() for lang in env.get("INVITATIONS_LANGUAGES", "").split(",")
        if lang.strip()
    ) or LANGUAGES


def parse_secret_keys(value: str) -> tuple[str, ...]:
    """``"new,old"`` -> ``("new", "old")``; blanks around commas are ignored."""
    return tuple(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    secret_keys: tuple[str, ...]
    base_url: str
    transport: str = DEFAULT_TRANSPORT
    db: str = DEFAULT_DB
    sender: str = DEFAULT_SENDER
    languages: tuple[str, ...] = LANGUAGES
    password_policy: str = "document"
    operator_address: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        keys = parse_secret_keys(env.get("INVITATIONS_SECRET_KEYS", ""))
        check_secret_keys(keys)
        base_url = env.get("INVITATIONS_BASE_URL", "").strip()
        if not base_url:
            raise ConfigurationError(
                "INVITATIONS_BASE_URL is not set; set it to the address of the registration "
                "page's site, e.g. https://portal.example.fi"
            )
        policy = env.get("INVITATIONS_PASSWORD_POLICY", "document").strip() or "document"
        try:
            PasswordPolicy.named(policy)
        except ValueError as exc:
            raise ConfigurationError(f"INVITATIONS_PASSWORD_POLICY: {exc}") from None
        languages = _languages(env)
        return cls(
            secret_keys=keys,
            base_url=base_url,
            transport=env.get("INVITATIONS_TRANSPORT", "").strip() or DEFAULT_TRANSPORT,
            db=env.get("INVITATIONS_DB", "").strip() or DEFAULT_DB,
            sender=env.get("INVITATIONS_SENDER", "").strip() or DEFAULT_SENDER,
            languages=languages,
            password_policy=policy,
            operator_address=check_operator_address(
                env.get("INVITATIONS_OPERATOR_ADDRESS", "")),
        )

    def service(self, *, clock: Clock | None = None,
                environ: Mapping[str, str] | None = None) -> InvitationService:
        """A service wired from these settings (it owns and closes its store)."""
        env = dict(os.environ if environ is None else environ, INVITATIONS_DB=self.db)
        store = store_from_env(env)
        try:
            service = InvitationService(
                self.secret_keys, self.base_url, self.transport, store=store, clock=clock,
                sender=self.sender, languages=self.languages,
                password_policy=PasswordPolicy.named(self.password_policy), close_store=True,
                operator_address=self.operator_address,
            )
        except BaseException:
            store.close()
            raise
        return service


def service_from_env(environ: Mapping[str, str] | None = None, *,
                     clock: Clock | None = None) -> InvitationService:
    """The one-liner for integrators and the CLI."""
    return Settings.from_env(environ).service(clock=clock, environ=environ)
