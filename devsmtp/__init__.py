"""devsmtp: a capture SMTP server with a JSON API and web inbox, for QA and tests.

Names are imported lazily so that the CLI's client commands start fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .envelope import Envelope
    from .errors import DevSMTPError
    from .server import DevSMTP, read_ports
    from .settings import Settings
    from .store import Query, Store, StoredMessage

_WHERE = {
    "DevSMTP": "server",
    "read_ports": "server",
    "DevSMTPError": "errors",
    "Envelope": "envelope",
    "Query": "store",
    "StoredMessage": "store",
    "Settings": "settings",
    "Store": "store",
}

__all__ = [
    "DevSMTP",
    "DevSMTPError",
    "Envelope",
    "Query",
    "Settings",
    "Store",
    "StoredMessage",
    "__version__",
    "read_ports",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        # Written once, in invitations/__init__.py; both distributions carry it.
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("devsmtp")
        except PackageNotFoundError:  # a source tree on sys.path, not installed
            return "0+unknown"
    if name in _WHERE:
        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module 'devsmtp' has no attribute {name!r}")
