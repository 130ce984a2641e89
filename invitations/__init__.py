"""invitations: signed, expiring, trilingual user invitations by e-mail.

Integrators need one line: ``invitations.send_invite(email, company=...,
invited_by=...)`` with the service configured from ``INVITATIONS_*``
environment variables (see :mod:`invitations.config`), or their own
:class:`InvitationService`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from invitations.accounts import AccountCreator, AccountRef, AccountRejected
from invitations.clock import Clock, FrozenClock, SystemClock
from invitations.errors import (
    ConfigurationError,
    ConfirmationExpired,
    DeliveryFailed,
    FieldError,
    InvalidAddress,
    InvalidInput,
    InvitationError,
    InvitationExpired,
    InvitationInvalid,
    InvitationNotFound,
    InvitationRevoked,
    InvitationSuperseded,
    InvitationUsed,
    NotAuthorized,
    RegistrationInProgress,
    RegistrationRejected,
    TokenMalformed,
    TokenTampered,
)
from invitations.events import Event, EventHandler, Events
from invitations.models import (
    Company,
    DeliveryState,
    Invitation,
    InvitationStatus,
    Inviter,
    Registration,
    Role,
)
from invitations.password import PasswordPolicy, Violation, check_password
from invitations.undeliverable import UndeliverableReason, reason_for

if TYPE_CHECKING:
    from invitations.config import service_from_env
    from invitations.service import InvitationService
    from invitations.store import InvitationStore, SQLiteInvitationStore

__version__ = "0.1.0"

__all__ = [
    "AccountCreator",
    "AccountRef",
    "AccountRejected",
    "Clock",
    "Company",
    "ConfigurationError",
    "ConfirmationExpired",
    "DeliveryFailed",
    "DeliveryState",
    "Event",
    "EventHandler",
    "Events",
    "FieldError",
    "FrozenClock",
    "InvalidAddress",
    "InvalidInput",
    "Invitation",
    "InvitationError",
    "InvitationExpired",
    "InvitationInvalid",
    "InvitationNotFound",
    "InvitationRevoked",
    "InvitationService",
    "InvitationStatus",
    "InvitationStore",
    "InvitationSuperseded",
    "InvitationUsed",
    "Inviter",
    "NotAuthorized",
    "PasswordPolicy",
    "Registration",
    "RegistrationInProgress",
    "RegistrationRejected",
    "Role",
    "SQLiteInvitationStore",
    "SystemClock",
    "TokenMalformed",
    "TokenTampered",
    "UndeliverableReason",
    "Violation",
    "__version__",
    "check_password",
    "default_service",
    "reason_for",
    "reset_default_service",
    "send_invite",
    "service_from_env",
]

# The service pulls in rendering (Jinja2, Babel); import it on first use so that
# ``import invitations`` stays cheap for tools that only need models or errors.
_LAZY = {
    "InvitationService": "invitations.service",
    "InvitationStore": "invitations.store",
    "SQLiteInvitationStore": "invitations.store",
    "service_from_env": "invitations.config",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'invitations' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


_default: InvitationService | None = None
_default_lock = threading.Lock()


def default_service() -> InvitationService:
    """The process-wide service configured from ``INVITATIONS_*`` variables (made once)."""
    global _default
    with _default_lock:
        if _default is None:
            from invitations.config import service_from_env

            _default = service_from_env()
        return _default


def reset_default_service() -> None:
    """Close and forget the default service (tests, or after changing the environment)."""
    global _default
    with _default_lock:
        if _default is not None:
            _default.close()
        _default = None


def send_invite(
    email: str,
    *,
    company: Company,
    invited_by: Inviter,
    role: Role | str = Role.USER,
    services: Sequence[str] = ("smartship",),
    languages: Sequence[str] | str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
) -> Invitation:
    """:meth:`InvitationService.send_invite` on :func:`default_service`."""
    return default_service().send_invite(
        email, company=company, invited_by=invited_by, role=role, services=services,
        languages=languages, first_name=first_name, last_name=last_name,
    )
