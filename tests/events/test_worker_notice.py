"""The delivery worker (``invitations deliver``) tells the inviter too: an invitation
queued by one process and refused with a 550 when the worker sends it."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from devsmtp.pytest_plugin import Faults
from devsmtp.testing import Capture
from invitations import Company, InvitationService, Inviter
from invitations.cli import main
from invitations.models import DeliveryState, MessageKind
from invitations.store import SQLiteInvitationStore
from tests.events.conftest import KEYS


def test_the_worker_sends_the_notice_of_a_550(
    tmp_path: Path, smtp_capture: Capture, smtp_faults: Faults, company: Company,
    main_user: Inviter, operator_box: str,
) -> None:
    db = tmp_path / "invitations.sqlite3"
    bad = smtp_capture.address("kirjoitusvirhe")
    smtp_faults.add(stage="rcpt", code=550, to=bad)
    with InvitationService(KEYS, "http://localhost", None,
                           store=SQLiteInvitationStore(db), close_store=True) as queued_only:
        invitation = queued_only.send_invite(bad, company=company, invited_by=main_user)
    env = {"INVITATIONS_DB": str(db), "INVITATIONS_TRANSPORT": smtp_capture.smtp_url,
           "INVITATIONS_OPERATOR_ADDRESS": operator_box, "INVITATIONS_LANGUAGES": "sv,fi,en"}
    result = CliRunner().invoke(main, ["deliver", "--lang", "en"], env=env)
    assert result.exit_code == 1, result.output  # the invitation failed for good
    assert "sent 1, queued for retry 0, failed 1" in result.stdout  # the notice was sent

    assert main_user.email is not None
    notice = smtp_capture.wait_for(to=main_user.email)
    assert notice.subject.startswith("Inbjudan kunde inte levereras / Kutsu ei mennyt")
    assert bad in notice.section("sv").text
    with SQLiteInvitationStore(db) as store:
        rows = [(r.kind, r.state) for r in store.outbox(invitation_id=invitation.id)]
    assert rows == [(MessageKind.INVITATION, DeliveryState.FAILED),
                    (MessageKind.UNDELIVERABLE, DeliveryState.SENT)]
