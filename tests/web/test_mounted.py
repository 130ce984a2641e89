"""The pages mounted under a prefix of a bigger app, as the README shows."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount

from invitations.clock import FrozenClock
from invitations.models import InvitationStatus
from invitations.service import InvitationService
from invitations.store import SQLiteInvitationStore
from invitations.transports.memory import MemoryTransport
from invitations.web import create_app

from .conftest import COMPANY, KEY, MAIN_USER, TestClient, registration


def test_mounted_under_a_prefix(tmp_path: Path) -> None:
    store = SQLiteInvitationStore(tmp_path / "invitations.sqlite3")
    service = InvitationService(
        [KEY], "http://testserver/invite", MemoryTransport(), store=store, clock=FrozenClock()
    )
    portal = Starlette(routes=[Mount("/invite", app=create_app(service, session_keys=[KEY]))])
    invitation = service.send_invite("uusi@example.com", company=COMPANY, invited_by=MAIN_USER)
    assert invitation.link is not None and invitation.link.startswith("http://testserver/invite/")
    with TestClient(portal, base_url="http://testserver") as client:
        first = client.get(invitation.link, follow_redirects=False)
        assert first.status_code == 303
        assert first.headers["location"] == "/invite/register"
        assert "Path=/invite;" in first.headers["set-cookie"]
        form = client.get("/invite/register")
        assert form.status_code == 200
        assert 'action="/invite/register"' in form.text
        assert 'href="/invite/static/registration.css"' in form.text
        assert 'href="?lang=sv"' in form.text  # relative: stays under /invite/register
        css = client.get("/invite/static/registration.css")
        assert css.status_code == 200 and "no-store" not in css.headers.get("cache-control", "")
        csrf = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        done = client.post(
            "/invite/register", data=registration(email="uusi@example.com", csrf_token=csrf)
        )
        assert done.status_code == 200 and 'data-testid="page-registered"' in done.text
        assert str(done.url) == "http://testserver/invite/register/done?lang=fi"
    assert service.get(invitation.id).status is InvitationStatus.ACCEPTED
    store.close()
