"""Release: relay a captured message, byte for byte, to a real SMTP server."""

from __future__ import annotations

import smtplib

from .errors import ReleaseFailed, ReleaseRefused
from .records import domain_of, fold

__all__ = ["allowed", "relay"]


def allowed(address: str, allow: tuple[str, ...]) -> bool:
    """Whether the allow-list (``a@x``, ``@x`` or ``*``) permits ``address``."""
    wanted = fold(address.strip())
    for entry in allow:
        entry = fold(entry.strip())
        if entry == "*" or entry == wanted:
            return True
        if entry.startswith("@") and domain_of(wanted) == entry[1:]:
            return True
    return False


def check(recipients: list[str], allow: tuple[str, ...]) -> None:
    """Raise ReleaseRefused unless every recipient is allowed."""
    if not recipients:
        raise ReleaseRefused("no recipients given ('to')")
    refused = [r for r in recipients if not allowed(r, allow)]
    if refused:
        raise ReleaseRefused(f"not on the allow-list: {', '.join(refused)}")


def relay(
    host: str, port: int, sender: str, recipients: list[str], raw: bytes, *, timeout: float = 30
) -> str:
    """Send ``raw`` unchanged; returns the server's final reply text."""
    needs_utf8 = not (sender + "".join(recipients)).isascii()
    try:
        with smtplib.SMTP(host, port, local_hostname="devsmtp", timeout=timeout) as client:
            client.ehlo()
            options = ["SMTPUTF8"] if needs_utf8 else []
            refused = client.sendmail(sender, recipients, raw, mail_options=options)
            if refused:
                raise ReleaseFailed(f"refused recipients: {refused}")
            code, reply = client.noop()
            return f"{code} {reply.decode('utf-8', 'replace')}"
    except (OSError, smtplib.SMTPException) as error:
        raise ReleaseFailed(f"{host}:{port}: {error}") from error
