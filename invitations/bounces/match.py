"""Which outbox row a bounce is about: the VERP tag first, then the Message-ID.

A tag that is present but does not verify (forged, altered, another
installation's) matches nothing, and the Message-ID is then not tried: a
Message-ID is seen by every recipient of the mail, the tag's MAC is not.
Without a tag (no bounce address configured, or the bounce came to the plain
address) the returned message's Message-ID is the only clue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from email.message import Message

from invitations.bounces.verp import TAG_SEPARATOR, ReturnPath
from invitations.models import OutboxRow
from invitations.store.protocol import InvitationStore

__all__ = ["Match", "addressed_to", "find_row"]

#: Headers an MTA or mailbox leaves with the envelope recipient of a delivered mail.
_RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To")


@dataclass(frozen=True)
class Match:
    """The row found (or ``None``), and how: ``tag``, ``message_id``, ``forged_tag``,
    ``unknown_tag`` or ``none``."""

    row: OutboxRow | None
    how: str


def addressed_to(message: Message, envelope: Iterable[str] = ()) -> list[str]:
    """Where the bounce was sent: the SMTP recipients, else the recipient headers."""
    found = [a.strip().strip("<>") for a in envelope if a.strip()]
    for name in _RECIPIENT_HEADERS:
        for value in message.get_all(name, [])[:10]:
            for piece in str(value).split(",")[:10]:
                address = piece.strip().rpartition("<")[2].strip().strip(">").strip()
                if "@" in address and len(address) <= 320:
                    found.append(address)
    return found


def find_row(store: InvitationStore, return_path: ReturnPath | None,
             recipients: Iterable[str], message_id: str | None) -> Match:
    """The outbox row of the bounced mail; see the module text for the order."""
    if return_path is not None:
        tagged = [a for a in recipients
                  if return_path.accepts(a) and TAG_SEPARATOR in a.rpartition("@")[0]]
        for address in tagged:
            sender = return_path.verified(address)
            if sender is not None:
                row = store.find_outbox(sender=sender)
                return Match(row, "tag" if row is not None else "unknown_tag")
        if tagged:
            return Match(None, "forged_tag")
    if message_id is not None:
        row = store.find_outbox(message_id=message_id)
        if row is not None:
            return Match(row, "message_id")
    return Match(None, "none")
