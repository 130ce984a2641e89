"""Why a mail could not be delivered, in the five plain-words reasons the inviter reads.

:func:`reason_for` maps an RFC 3463 enhanced status code (``5.1.1``) and the
server's reply text (or a DSN's ``Diagnostic-Code``) to an
:class:`UndeliverableReason`. The status code decides when it is specific; the
text decides when the code is missing or generic (``5.0.0``, ``5.5.0``, plain
``550`` without an enhanced code), since many relays say "user unknown" with a
bare ``550``.
"""

from __future__ import annotations

import enum
import re

__all__ = ["UndeliverableReason", "enhanced_status", "reason_for"]


class UndeliverableReason(enum.StrEnum):
    """The reason a notice names (values are stable: stored and shown in JSON)."""

    MAILBOX_UNKNOWN = "mailbox_unknown"
    MAILBOX_FULL = "mailbox_full"
    DOMAIN_UNKNOWN = "domain_unknown"
    REFUSED_AS_SPAM = "refused_as_spam"
    OTHER = "other"


_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")

#: Enhanced status codes (RFC 3463, RFC 7505, RFC 3886 registry) that say it all.
_BY_STATUS: dict[str, UndeliverableReason] = {
    "1.1": UndeliverableReason.MAILBOX_UNKNOWN,   # bad destination mailbox address
    "1.3": UndeliverableReason.MAILBOX_UNKNOWN,   # bad mailbox address syntax
    "1.6": UndeliverableReason.MAILBOX_UNKNOWN,   # mailbox has moved, no forwarding
    "1.10": UndeliverableReason.MAILBOX_UNKNOWN,  # recipient address has null MX
    "2.1": UndeliverableReason.MAILBOX_UNKNOWN,   # mailbox disabled
    "2.2": UndeliverableReason.MAILBOX_FULL,      # mailbox full
    "1.2": UndeliverableReason.DOMAIN_UNKNOWN,    # bad destination system address
    "4.4": UndeliverableReason.DOMAIN_UNKNOWN,    # unable to route (no MX / A)
}

#: Reply texts, checked in this order (the first match wins).
_BY_TEXT: tuple[tuple[re.Pattern[str], UndeliverableReason], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), reason) for pattern, reason in (
        (r"spam|junk|blocklist|blacklist|block ?list|black ?list|reputation|spf|dmarc|dkim"
         r"|policy|rejected for policy|content rejected|message rejected|virus|malware"
         r"|prohibited|not accepted for delivery|abuse",
         UndeliverableReason.REFUSED_AS_SPAM),
        (r"(mailbox|inbox|storage|quota|disk).{0,20}(full|exceeded|over)"
         r"|over ?quota|quota exceeded|insufficient (system )?storage|out of storage",
         UndeliverableReason.MAILBOX_FULL),
        (r"host (or domain )?(name )?not found|domain (not found|does not exist|unknown"
         r"|doesn't exist)|unknown domain|no such domain|nxdomain|no mx|null mx"
         r"|name or service not known|unrouteable|unroutable|no route to host",
         UndeliverableReason.DOMAIN_UNKNOWN),
        (r"user unknown|unknown user|no such user|no such (mailbox|recipient|address)"
         r"|(mailbox|recipient|address|user|account)\b.{0,30}\b(unknown|unavailable"
         r"|not found|does not exist|doesn't exist|disabled|invalid|not exist)"
         r"|invalid (mailbox|recipient)|recipient (address )?rejected|undeliverable address"
         r"|not a valid (mailbox|recipient)|no mailbox",
         UndeliverableReason.MAILBOX_UNKNOWN),
    )
)


def enhanced_status(text: str) -> str | None:
    """The first RFC 3463 status code (``"5.1.1"``) in a reply or diagnostic, if any."""
    match = _STATUS.search(text or "")
    return None if match is None else ".".join(match.groups())


def reason_for(status: str | None, diagnostic: str) -> UndeliverableReason:
    """The plain-words reason for an enhanced ``status`` (or ``None``) and the
    server's ``diagnostic`` text; :attr:`UndeliverableReason.OTHER` if neither says."""
    code = (status or "").strip() or enhanced_status(diagnostic)
    match = _STATUS.fullmatch(code) if code else None
    if match is not None:
        _, subject, detail = match.groups()
        subject_detail = f"{int(subject)}.{int(detail)}"
        found = _BY_STATUS.get(subject_detail)
        if found is not None:
            return found
        if subject == "7":  # security or policy: spam only when the text says so
            spam = _BY_TEXT[0][0].search(diagnostic or "")
            return UndeliverableReason.REFUSED_AS_SPAM if spam else UndeliverableReason.OTHER
    text = diagnostic or ""
    for pattern, reason in _BY_TEXT:
        if pattern.search(text):
            return reason
    return UndeliverableReason.OTHER
