"""Bounces: per-message return paths (VERP), delivery status notifications in,
and what a bounce does to an invitation.

- :mod:`~invitations.bounces.verp`: the signed return path of each outbox row
- :mod:`~invitations.bounces.dsn`: RFC 3464 reports, parsed within limits
- :mod:`~invitations.bounces.classify`: non-standard bounces, auto-replies to ignore
- :mod:`~invitations.bounces.match`: which outbox row a bounce is about
- :mod:`~invitations.bounces.record`: :func:`record_bounce`, behind
  :meth:`InvitationService.record_bounce <invitations.service.InvitationService.record_bounce>`
- :mod:`~invitations.bounces.receiver`: the aiosmtpd receiver for the bounce address
- :mod:`~invitations.bounces.mailbox`: Maildir, mbox and ``.eml`` import

Only the pure parts are imported here; the receiver loads aiosmtpd on use.
"""

from __future__ import annotations

from invitations.bounces.dsn import DeliveryReport, RecipientStatus, parse_report
from invitations.bounces.verp import ReturnPath

__all__ = ["DeliveryReport", "RecipientStatus", "ReturnPath", "parse_report"]
