"""Release: relay a captured message, byte for byte, to a real SMTP server."""

from __future__ import annotations

import logging
import re
import smtplib

from ..envelope import domain_of, fold
from ..errors import BadRequest, ReleaseFailed, ReleaseRefused
from ..settings import Settings

log = logging.getLogger("devsmtp.release")

__all__ = ["address_problem", "allowed", "configured_relays", "host_problem", "port_problem",
           "relay", "relay_allowed"]

#: A plausible addr-spec: ``local@domain`` (the domain may be an ``[address literal]``),
#: no spaces, no specials (``<>()[],;:"\\``), every domain label non-empty.
_ATOM = r'[^\s@<>()\[\],;:"\\]+'
_LABEL = r'[^\s@<>()\[\],;:"\\.]+'
_ADDRESS = re.compile(rf"{_ATOM}@(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Za-z:.]+\])")


def _control(text: str) -> bool:
    return any(ord(c) < 32 or 127 <= ord(c) < 160 or c in "\u2028\u2029" for c in text)


def address_problem(value: object) -> str | None:
    """Why ``value`` is not a usable envelope address, or ``None`` when it is."""
    if not isinstance(value, str):
        return f"must be a string like name@example.com, not {type(value).__name__}"
    if not value.strip():
        return "is empty; give an address like name@example.com"
    if _control(value):
        return (f"{value!r} contains a line break or control character; give one plain "
                "address per list item")
    if len(value) > 254 or not _ADDRESS.fullmatch(value):
        return f"{value!r} is not an e-mail address; write it like name@example.com"
    return None


def host_problem(value: object) -> str | None:
    """Why ``value`` is not a relay host name or IP address, or ``None``."""
    if not isinstance(value, str) or not value.strip():
        return "must be a host name or IP address such as 127.0.0.1 or smtp.example.com"
    if _control(value) or any(c.isspace() for c in value) or len(value) > 253:
        return f"{value!r} is not a host name; give it without spaces, e.g. smtp.example.com"
    return None


def port_problem(value: object) -> str | None:
    """Why ``value`` is not a TCP port for the relay (1-65535), or ``None``."""
    if isinstance(value, bool) or not isinstance(value, int):
        return f"must be a whole number from 1 to 65535, not {value!r}"
    if not 1 <= value <= 65535:
        return f"must be from 1 to 65535, not {value}"
    return None


def recipients_from(value: object) -> list[str]:
    """The ``to`` of a release request as a list, or BadRequest naming what is wrong."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise BadRequest("'to' must be an address or a non-empty list of addresses, "
                         'e.g. {"to": ["name@example.com"]}')
    for index, item in enumerate(items):
        problem = address_problem(item)
        if problem:
            where = "'to'" if isinstance(value, str) else f"'to'[{index}]"
            raise BadRequest(f"{where} {problem}")
    return [str(item) for item in items]


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


def configured_relays(settings: Settings) -> list[tuple[str, int]]:
    """The relays release may use, the default (``--relay``) first; fixed at start."""
    relays: list[tuple[str, int]] = []
    if settings.relay_host:
        relays.append((settings.relay_host, settings.relay_port))
    for entry in settings.relay_hosts:
        host, _, port = entry.strip().rpartition(":")
        if host and port.isdigit():
            relays.append((host.strip("[]"), int(port)))
    return relays


def relay_allowed(host: object, port: object, relays: list[tuple[str, int]]) -> bool:
    """Whether ``host:port`` is one of the configured relays (host names case-blind)."""
    if not isinstance(host, str) or isinstance(port, bool) or not isinstance(port, int):
        return False
    wanted = (host.strip().strip("[]").lower(), port)
    return any((h.lower(), p) == wanted for h, p in relays)


def relay(
    host: str, port: int, sender: str, recipients: list[str], raw: bytes, *, timeout: float = 30
) -> str:
    """Send ``raw`` unchanged; returns the server's final reply text."""
    for address in (*recipients, *([sender] if sender else [])):
        if _control(address):  # never let a line break reach the SMTP dialogue
            raise BadRequest(f"{address!r} contains a line break or control character")
    needs_utf8 = not (sender + "".join(recipients)).isascii()
    try:
        with smtplib.SMTP(host, port, local_hostname="devsmtp", timeout=timeout) as client:
            client.ehlo()
            options = ["SMTPUTF8"] if needs_utf8 else []
            refused = client.sendmail(sender, recipients, raw, mail_options=options)
            if refused:
                log.warning("relay %s:%s refused %d recipient(s)", host, port, len(refused))
                log.debug("refused by %s:%s: %s", host, port, refused)
                raise ReleaseFailed("some recipients were refused")
            code, reply = client.noop()
            return f"{code} {reply.decode('utf-8', 'replace')}"
    except (OSError, smtplib.SMTPException) as error:
        # The details go to the log only: an answer telling "connection refused" from
        # "timed out" would map the network behind devsmtp.
        log.warning("release to %s:%s failed: %s", host, port, error)
        raise ReleaseFailed("the relay could not be reached or did not accept it") from error
