"""Delivery status notifications (RFC 3464) as the inbox shows them.

A captured mail that is a ``multipart/report; report-type=delivery-status``
gets a small panel: per recipient the address, action, status and the remote
server's diagnostic. Read from the compat32 tree, bounded (the report part
must be among the top-level parts; at most :data:`MAX_RECIPIENTS` blocks).
devsmtp stands on its own, so this is its own small reader.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from email.message import Message

__all__ = ["DeliveryStatus", "delivery_statuses"]

MAX_RECIPIENTS = 50
_MAX_FIELD = 500


@dataclass(frozen=True)
class DeliveryStatus:
    """One recipient block of a report."""

    recipient: str
    action: str
    status: str
    diagnostic: str


def _value(block: Message, name: str) -> str:
    text = " ".join(str(block.get(name, "")).split())[:_MAX_FIELD]
    kind, sep, rest = text.partition(";")
    return rest.strip() if sep and kind and " " not in kind.strip() else text


def _blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)][: MAX_RECIPIENTS + 1]
    text = payload if isinstance(payload, str) else ""
    return [email.message_from_string(chunk.strip() + "\n", policy=email.policy.compat32)
            for chunk in text.replace("\r\n", "\n").split("\n\n")[: MAX_RECIPIENTS + 1]
            if chunk.strip()]


def delivery_statuses(tree: Message) -> list[DeliveryStatus] | None:
    """The recipients of the report in ``tree``, or ``None`` if it is no DSN."""
    if tree.get_content_type() != "multipart/report":
        return None
    if tree.get_param("report-type", "", header="content-type") != "delivery-status":
        return None
    parts = tree.get_payload()
    if not isinstance(parts, list):
        return None
    found: list[DeliveryStatus] = []
    for part in parts[:10]:
        if not isinstance(part, Message) or part.get_content_type() != "message/delivery-status":
            continue
        for block in _blocks(part):
            recipient = _value(block, "Final-Recipient") or _value(block, "Original-Recipient")
            if recipient:
                found.append(DeliveryStatus(
                    recipient, _value(block, "Action"), _value(block, "Status"),
                    _value(block, "Diagnostic-Code")))
            if len(found) >= MAX_RECIPIENTS:
                break
        break
    return found
