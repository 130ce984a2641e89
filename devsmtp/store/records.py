"""What the store keeps per message (envelope, summary, size) and the filter over it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..envelope import Envelope, domain_of, fold, iso_time
from ..mail.summary import Summary

__all__ = ["Query", "StoredMessage", "search_text", "sender_text"]


@dataclass(slots=True)
class StoredMessage:
    """One captured message as listed: sequence number, envelope, summary, size."""

    id: int
    envelope: Envelope
    summary: Summary
    size: int
    #: Opened in the web inbox (the JSON API never sets it).
    read: bool = False

    def to_dict(self) -> dict[str, object]:
        """The list/API shape: ``to`` is the envelope recipients, ``subject`` decoded."""
        summary = self.summary
        return {
            "id": self.id,
            "seq": self.id,
            "from": summary.sender or self.envelope.mail_from,
            "mail_from": self.envelope.mail_from,
            "to": list(self.envelope.rcpt_to),
            "subject": summary.subject,
            "received_at": iso_time(self.envelope.received_at),
            "size": self.size,
            "date": summary.date,
            "message_id": summary.message_id,
            "has_text": summary.has_text,
            "has_html": summary.has_html,
            "attachments": [asdict(a) for a in summary.attachments],
            "languages": list(summary.languages),
            "malformed": summary.malformed,
            "read": self.read,
            "snippet": summary.snippet,
        }


@dataclass(frozen=True, slots=True)
class Query:
    """A filter shared by listing, waiting and deleting.

    ``to`` is an envelope recipient (exact, case-insensitive) or ``@domain``;
    ``sender``, ``subject`` and ``q`` are case-folded substrings (``q`` searches
    sender, recipients, subject and body text). ``after``/``before`` bound the id.
    """

    to: str | None = None
    sender: str | None = None
    subject: str | None = None
    q: str | None = None
    after: int | None = None
    before: int | None = None
    _folded: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("to", "sender", "subject", "q"):
            value = getattr(self, name)
            if value:
                self._folded[name] = fold(value.strip())

    def folded(self, name: str) -> str | None:
        return self._folded.get(name)

    def matches(self, message: StoredMessage) -> bool:
        """Whether ``message`` passes (the in-memory twin of the SQL filter)."""
        if self.after is not None and message.id <= self.after:
            return False
        if self.before is not None and message.id >= self.before:
            return False
        to = self.folded("to")
        if to is not None:
            if to.startswith("@"):
                if to[1:] not in {domain_of(r) for r in message.envelope.rcpt_to}:
                    return False
            elif to not in {fold(r) for r in message.envelope.rcpt_to}:
                return False
        sender = self.folded("sender")
        if sender is not None and sender not in sender_text(message):
            return False
        subject = self.folded("subject")
        if subject is not None and subject not in fold(message.summary.subject):
            return False
        q = self.folded("q")
        return q is None or q in search_text(message)


def sender_text(message: StoredMessage) -> str:
    """Folded text the ``from`` filter searches: envelope sender and From header."""
    return fold(f"{message.envelope.mail_from} {message.summary.sender}")


def search_text(message: StoredMessage) -> str:
    """Folded text ``q`` searches: envelope addresses plus the summary's text."""
    envelope = message.envelope
    return fold(" ".join([envelope.mail_from, *envelope.rcpt_to])) + " " + (
        message.summary.search_text
    )
