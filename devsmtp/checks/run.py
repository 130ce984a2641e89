"""All checks of one message at once, as the API and the inbox's checks tab show them.

The HTML and spam results depend on the message bytes only and are kept
(the last :data:`CACHE_SIZE` messages); the links check asks the network
and the invitation store, so it runs each time.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..mail import ParsedMail
from .compat import html_compatibility
from .links import TokenChecker, check_links
from .spam import spam_score

__all__ = ["CHECKS", "CheckOptions", "run_checks"]

#: The checks, in the order the API and the inbox list them.
CHECKS: tuple[str, ...] = ("html", "links", "spam")
CACHE_SIZE = 256


@dataclass(frozen=True)
class CheckOptions:
    """Server-wide check settings (``Settings.check_*``)."""

    #: The address the service's links should start with (links check).
    base_url: str | None = None
    #: Hosts besides loopback the links check may request.
    allow_hosts: tuple[str, ...] = ()
    #: ``host:port`` of a spamd to ask through spamc (else ``spamassassin -L``).
    spamd: str | None = None
    checker: TokenChecker | None = field(default=None, compare=False)


_cache: OrderedDict[tuple[bytes, str, str], dict[str, Any]] = OrderedDict()
_lock = threading.Lock()


def _cached(raw: bytes, kind: str, key: str, compute: Any) -> dict[str, Any]:
    ident = (hashlib.sha256(raw).digest(), kind, key)
    with _lock:
        if ident in _cache:
            _cache.move_to_end(ident)
            return _cache[ident]
    result: dict[str, Any] = compute()
    with _lock:
        _cache[ident] = result
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def _compat(mail: ParsedMail, clients: Sequence[str] | None) -> dict[str, Any]:
    return html_compatibility(mail.html or "", clients).to_dict()


def run_checks(
    mail: ParsedMail,
    options: CheckOptions = CheckOptions(),
    *,
    only: Sequence[str] = CHECKS,
    clients: Sequence[str] | None = None,
    lang: str = "en",
) -> dict[str, Any]:
    """``{"html": ..., "links": ..., "spam": ...}`` (each check's ``to_dict()``).

    ``html`` is None when the message has no HTML part; a check not in
    ``only`` is left out. ``clients`` narrows the HTML check (unknown names
    raise :class:`ValueError`).
    """
    result: dict[str, Any] = {}
    for name in CHECKS:
        if name not in only:
            continue
        if name == "html":
            result["html"] = None if mail.html is None else _cached(
                mail.raw, "html", ",".join(clients or ()), lambda: _compat(mail, clients))
        elif name == "links":
            result["links"] = check_links(
                mail, base_url=options.base_url, allow_hosts=options.allow_hosts,
                checker=options.checker, lang=lang).to_dict()
        else:
            def spam() -> dict[str, Any]:
                return spam_score(mail.raw, spamd=options.spamd).to_dict()

            report = _cached(mail.raw, "spam", options.spamd or "", spam)
            if not report["available"]:  # e.g. installed later, or a timeout: ask again
                with _lock:
                    _cache.pop((hashlib.sha256(mail.raw).digest(), "spam",
                                options.spamd or ""), None)
            result["spam"] = report
    return result
