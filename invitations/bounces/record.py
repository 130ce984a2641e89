"""What a bounce does: :func:`record_bounce`, behind
:meth:`InvitationService.record_bounce <invitations.service.InvitationService.record_bounce>`.

Parse (bounded), classify, match, then:

- a permanent failure of an invitation's current mail, while the invitation is
  pending: the mail's delivery state becomes ``bounced`` (status, reason,
  time), the event ``invitation.bounced`` fires and the inviter is told
  (:meth:`~invitations.service.InvitationService.notify_undeliverable`), once;
- a delay notice: logged in the store, nothing else changes;
- a bounce for an accepted, revoked or reissued invitation, a repeated bounce,
  an auto-reply, a challenge, mail that is no bounce, or a bounce that matches
  nothing: logged, nothing changes.

Every outcome is a :class:`BounceOutcome` and one log record on
``invitations.bounces``; nothing here raises for bad input.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from invitations.bounces.classify import MALFORMED, classify
from invitations.bounces.dsn import MAX_BYTES, DeliveryReport, RecipientStatus, parse_mail
from invitations.bounces.match import addressed_to, find_row
from invitations.events import INVITATION_BOUNCED
from invitations.models import DeliveryState, InvitationStatus, MessageKind, OutboxRow
from invitations.store.bounces import BOUNCED, DUPLICATE
from invitations.store.protocol import BounceEntry
from invitations.undeliverable import reason_for

if TYPE_CHECKING:
    from invitations.service import InvitationService

__all__ = ["IGNORED", "MATCHED", "UNKNOWN", "BounceOutcome", "record_bounce"]

log = logging.getLogger("invitations.bounces")

MATCHED = "matched"
IGNORED = "ignored"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class BounceOutcome:
    """What one bounce did.

    ``result`` is ``matched`` (it is about one of our mails), ``ignored`` (not a
    bounce: an auto-reply, a challenge, other mail) or ``unknown`` (a bounce that
    matches no mail of ours, or a forged tag). ``why`` says more in one word:
    ``bounced``, ``delayed``, ``duplicate``, ``already_bounced``, ``accepted``,
    ``closed``, ``superseded``, ``not_invitation_mail``, ``not_sent``,
    ``not_a_failure``, ``auto_reply``, ``challenge``, ``malformed``, ``not_a_bounce``,
    ``forged_tag``, ``unknown_tag``, ``no_match``.
    ``changed`` is true only when the invitation's delivery state changed.
    """

    result: str
    why: str
    invitation_id: str | None = None
    action: str | None = None
    status: str | None = None
    reason: str | None = None
    diagnostic: str | None = None
    #: How the mail was found: ``tag`` (VERP) or ``message_id``.
    matched_by: str | None = None
    changed: bool = False

    def to_dict(self) -> dict[str, object]:
        return dict(vars(self))


def _chosen(report: DeliveryReport) -> RecipientStatus:
    """The recipient block that decides: a permanent failure, else a delay, else the first."""
    permanent = [r for r in report.recipients if r.permanent]
    delayed = [r for r in report.recipients if r.delayed]
    return (permanent or delayed or list(report.recipients))[0]


def _logged(outcome: BounceOutcome, level: int = logging.INFO) -> BounceOutcome:
    log.log(level, "bounce %s: %s%s", outcome.result, outcome.why,
            f" (invitation {outcome.invitation_id})" if outcome.invitation_id else "", extra={
        "invitation_id": outcome.invitation_id, "bounce_result": outcome.result,
        "bounce_why": outcome.why, "bounce_status": outcome.status,
        "matched_by": outcome.matched_by})
    return outcome


def record_bounce(service: InvitationService, raw: bytes,
                  recipients: Iterable[str] = ()) -> BounceOutcome:
    """Take one bounce in; ``recipients`` are the SMTP envelope's, if known."""
    if len(raw) > MAX_BYTES:
        log.warning("bounce of %d bytes: only the first %d are read", len(raw), MAX_BYTES)
    message = parse_mail(raw)
    kind, report = classify(message)
    if report is None:
        return _logged(BounceOutcome(IGNORED, kind),
                       logging.WARNING if kind == MALFORMED else logging.INFO)
    decisive = _chosen(report)
    status = decisive.status or None
    base = BounceOutcome(UNKNOWN, "no_match", action=decisive.action or None, status=status,
                         diagnostic=decisive.diagnostic)
    match = find_row(service.store, service.return_path,
                     addressed_to(message, recipients), report.message_id)
    if match.row is None:
        why = match.how if match.how in ("forged_tag", "unknown_tag") else "no_match"
        return _logged(replace(base, why=why),
                       logging.WARNING if why == "forged_tag" else logging.INFO)
    row = match.row
    invitation_id = row.invitation_id
    if invitation_id is None:  # a credential order's mail: no invitation to mark
        return _logged(replace(base, result=MATCHED, matched_by=match.how,
                               why="not_invitation_mail"))
    final = decisive.permanent
    reason = str(reason_for(status, decisive.diagnostic or "")) if final else None
    entry = BounceEntry(
        fingerprint=hashlib.sha256(raw).hexdigest(), now=service.clock.now(),
        action=decisive.action or ("failed" if final else "unknown"), final=final,
        outbox_id=row.id, invitation_id=row.invitation_id, status=status, reason=reason,
        diagnostic=decisive.diagnostic)
    done = service.store.record_bounce(entry)
    found = replace(base, result=MATCHED, invitation_id=row.invitation_id,
                    matched_by=match.how, reason=reason)
    if done == DUPLICATE:
        return _logged(replace(found, why="duplicate"))
    if not final:
        return _logged(replace(found, why="delayed" if decisive.delayed else "not_a_failure"))
    if done != BOUNCED:
        return _logged(replace(found, why=_why_unchanged(service, row)))
    invitation = service.get(invitation_id)
    service.events.emit(INVITATION_BOUNCED, invitation, status=status or "",
                        reason=reason or "", diagnostic=decisive.diagnostic or "")
    service.notify_undeliverable(invitation_id, reason_for(status, decisive.diagnostic or ""),
                                 decisive.diagnostic or "")
    return _logged(replace(found, why="bounced", changed=True))


def _why_unchanged(service: InvitationService, row: OutboxRow) -> str:
    """Why a final bounce changed nothing: not invitation mail, the invitation accepted
    or closed, the mail replaced by a resend, bounced already, or never sent."""
    if row.kind is not MessageKind.INVITATION or row.invitation_id is None:
        return "not_invitation_mail"
    invitation = service.get(row.invitation_id)
    if invitation.status in (InvitationStatus.ACCEPTED, InvitationStatus.AWAITING_CONFIRMATION):
        return "accepted"
    if invitation.message_id != row.message_id:
        return "superseded"
    if invitation.status not in (InvitationStatus.PENDING, InvitationStatus.EXPIRED):
        return "closed"
    current = service.store.find_outbox(message_id=row.message_id)
    if current is not None and current.state is DeliveryState.BOUNCED:
        return "already_bounced"
    return "not_sent"
