"""The SMTP envelope (the transaction around the bytes) and address folding.

Shared by every room: the SMTP handler records an :class:`Envelope`, the store
keeps it beside the message, the API and the inbox show it, and the pytest
plugin's :class:`~devsmtp.testing.CapturedMail` carries one.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

__all__ = ["Envelope", "domain_of", "fold", "iso_time"]


def fold(text: str) -> str:
    """Unicode-aware case folding used by every filter (``ß`` matches ``SS``)."""
    return text.casefold()


def domain_of(address: str) -> str:
    """The folded domain of ``address`` (after the last ``@``), or ``""``."""
    return fold(address.rpartition("@")[2]) if "@" in address else ""


def iso_time(timestamp: float) -> str:
    """``timestamp`` as ISO 8601 UTC with milliseconds and ``Z``."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class Envelope:
    """``MAIL FROM`` and every ``RCPT TO`` (so Bcc is visible), plus the session's facts.

    Only ``mail_from`` and ``rcpt_to`` are required: a test building a
    :class:`~devsmtp.testing.CapturedMail` by hand gives just those
    (``received_at`` 0 then means "not received by a server").
    """

    mail_from: str
    rcpt_to: tuple[str, ...]
    received_at: float = 0.0
    mail_options: tuple[str, ...] = ()
    peer: str = ""
    helo: str | None = None
    auth_user: str | None = None
    tls: bool = False
    smtputf8: bool = False
    session_id: str = ""
    #: The session's log up to DATA (fired fault rules, TLS, AUTH).
    session_log: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["rcpt_to"] = list(self.rcpt_to)
        data["mail_options"] = list(self.mail_options)
        data["session_log"] = list(self.session_log)
        data["received_at"] = iso_time(self.received_at)
        return data

    def to_json(self) -> str:
        data = {name: getattr(self, name) for name in ENVELOPE_FIELDS}
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Envelope:
        data = json.loads(text)
        for key in ("rcpt_to", "mail_options", "session_log"):
            data[key] = tuple(data.get(key) or ())
        return cls(**data)


#: The stored JSON's keys, in field order.
ENVELOPE_FIELDS = tuple(Envelope.__dataclass_fields__)
