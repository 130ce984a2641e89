"""Checks of :class:`~invitations.service.InvitationService` constructor arguments;
a bad value fails at start-up with a :class:`~invitations.errors.ConfigurationError`.
"""

from __future__ import annotations

from datetime import timedelta
from email.utils import parseaddr

from .errors import ConfigurationError, InvitationError
from .transports.base import Transport
from .validation import check_text, normalize_email


def resolve_transport(transport: Transport | str | None) -> Transport | None:
    """The transport itself, or one built from a URL string."""
    if transport is None or not isinstance(transport, str):
        return transport
    try:
        from .transports import transport_from_url  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        raise ConfigurationError(
            f"transport URL {transport!r} given, but this installation has no "
            "transport_from_url; pass a Transport object instead"
        ) from None
    result: Transport = transport_from_url(transport)
    return result


def check_validity(name: str, value: timedelta) -> timedelta:
    """A link's lifetime, which must be positive."""
    if value <= timedelta(0):
        raise ConfigurationError(
            f"{name} must be positive, got {value}; the document's figure is 7 days "
            "for invitations (24 hours for an e-mail confirmation)"
        )
    return value


def check_base_url(base_url: str) -> str:
    """The registration site's URL without a trailing slash."""
    url = (base_url or "").strip().rstrip("/")
    if not url.startswith(("http://", "https://")) or any(c.isspace() for c in url):
        raise ConfigurationError(
            f"base URL {base_url!r} must start with http:// or https:// (set "
            "INVITATIONS_BASE_URL to the registration site, e.g. https://portal.example.fi)"
        )
    return url


def check_sender(sender: str) -> tuple[str, str]:
    """The sender as given and the domain of its address (for Message-IDs)."""
    try:
        text = check_text("sender", sender, limit=200)
        address = normalize_email(parseaddr(text)[1], field="sender")
    except InvitationError as exc:
        raise ConfigurationError(f"sender {sender!r}: {exc}") from None
    return text, address.rpartition("@")[2]
