"""Which page each service error leads to."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from invitations.errors import (
    ConfirmationExpired,
    DeliveryFailed,
    InvitationError,
    InvitationExpired,
    InvitationNotFound,
    InvitationRevoked,
    InvitationSuperseded,
    InvitationUsed,
    TokenMalformed,
    TokenTampered,
)
from invitations.models import Invitation
from invitations.web.outcomes import problem_for

WHEN = datetime(2025, 3, 14, 13, 5, tzinfo=UTC)


class _NoLookup:
    def get(self, invitation_id: str) -> Invitation:
        raise InvitationNotFound(invitation_id=invitation_id)


@pytest.mark.parametrize(
    ("error", "kind", "status"),
    [
        (InvitationExpired(signed_at=None, expires_at=WHEN, role="main_user"), "expired", 410),
        (ConfirmationExpired(signed_at=None, expires_at=WHEN), "expired", 410),
        (InvitationUsed(), "used", 410),
        (InvitationRevoked(), "revoked", 410),
        (TokenTampered(), "invalid", 400),
        (TokenMalformed(), "invalid", 400),
        (InvitationSuperseded(), "invalid", 400),
        (InvitationNotFound(invitation_id="x"), "invalid", 400),
        (DeliveryFailed(recipient="a@example.com", reply="451"), "error", 400),
    ],
)
def test_error_to_page(error: InvitationError, kind: str, status: int) -> None:
    problem = problem_for(error, _NoLookup())
    assert (problem.kind, problem.status_code, problem.template) == (kind, status, f"{kind}.html")


def test_expired_carries_role_and_expiry_even_when_the_record_is_gone() -> None:
    error = InvitationExpired(signed_at=None, expires_at=WHEN, role="main_user",
                              invitation_id="gone")
    problem = problem_for(error, _NoLookup())
    assert problem.role == "main_user" and problem.expires_at == WHEN
    assert problem.context == {}
    assert problem_for(ConfirmationExpired(signed_at=None, expires_at=WHEN),
                       _NoLookup()).confirmation


def test_other_errors_show_their_own_message_in_every_language() -> None:
    problem = problem_for(DeliveryFailed(recipient="a@example.com", reply="451"), _NoLookup())
    messages = problem.context["detail_messages"]
    assert set(messages) == {"fi", "sv", "en"}
    assert "a@example.com" in messages["fi"]


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
@pytest.mark.parametrize(
    "kind", ["expired", "used", "revoked", "invalid", "session", "forbidden", "error"]
)
def test_every_problem_page_renders_in_every_language(kind: str, lang: str) -> None:
    from invitations.web.pages import Pages

    env = Pages(("fi", "sv", "en")).environment(lang)
    html = env.get_template(f"{kind}.html").render(
        lang=lang, page=kind, portal_name="Posti", static_url="/s.css", favicon_url="/f.svg",
        language_links=[], role="user", expires_at=WHEN, confirmation=False,
        customer_service_url="https://www.posti.fi/fi/asiakastuki",
        detail_messages={"fi": "virhe", "sv": "fel", "en": "error"},
    )
    assert f'data-testid="page-{kind}"' in html
    assert f'<html lang="{lang}">' in html
    assert 'data-testid="contact"' in html
