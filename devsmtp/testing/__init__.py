"""Read and assert on mail captured by devsmtp, from tests.

:class:`Capture` (one test's inbox, from the ``smtp_capture`` fixture),
:class:`CapturedMail` (one message: the mail model plus assertions),
:class:`DevSMTPClient` (the JSON API) and :class:`MailAssertionError` (what a
failed expectation raises). The pytest plugin is :mod:`devsmtp.testing.plugin`.

Names are imported lazily: the plugin is loaded in every pytest run and must
not pull httpx or the mail model in before a fixture needs them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..envelope import Envelope
    from ..mail import InvitationToken, Link, Section
    from .capture import Capture, write_eml
    from .client import DevSMTPClient
    from .errors import MailAssertionError, decode_token
    from .mail import CapturedMail

_WHERE = {
    "Capture": ".capture",
    "write_eml": ".capture",
    "CapturedMail": ".mail",
    "DevSMTPClient": ".client",
    "MailAssertionError": ".errors",
    "decode_token": ".errors",
    "Envelope": "..envelope",
    "InvitationToken": "..mail",
    "Link": "..mail",
    "Section": "..mail",
}

__all__ = [
    "Capture",
    "CapturedMail",
    "DevSMTPClient",
    "Envelope",
    "InvitationToken",
    "Link",
    "MailAssertionError",
    "Section",
    "decode_token",
    "write_eml",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name], __name__), name)
    raise AttributeError(f"module 'devsmtp.testing' has no attribute {name!r}")
