"""A FastAPI portal that invites people and lets them register.

- ``POST /api/invitations`` (async): a main user's API client invites someone; the
  call awaits :class:`invitations.AsyncInvitationService`, so the event loop goes on
  serving while the mail is rendered, stored and handed to the relay.
- ``/invite/...``: the toolkit's registration pages (:func:`invitations.web.create_app`)
  mounted under the service's ``base_url``; they create the user in the portal's own
  table through :class:`~fastapi_portal.accounts.PortalAccounts`.

Run it with uvicorn's factory mode (see the README beside this package)::

    uvicorn --factory fastapi_portal.app:from_env
"""

# No ``from __future__ import annotations`` here: FastAPI reads the endpoints'
# annotations at run time, and ``Depends(caller)`` names a function local to
# create_portal, which a postponed (string) annotation could not find.
import hmac
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict

from invitations import (
    AsyncInvitationService,
    Company,
    InvitationError,
    InvitationNotFound,
    InvitationService,
    Inviter,
    NotAuthorized,
    service_from_env,
)
from invitations.errors import FieldRequired, InvalidInput, StoreUnavailable
from invitations.i18n.negotiation import negotiate
from invitations.web import create_app

from .accounts import PortalAccounts

__all__ = ["Caller", "InviteRequest", "create_portal", "from_env"]

#: Where the registration pages are mounted: the service's base_url must end in it.
MOUNT = "/invite"
#: The reason given when a JSON value has the wrong type, in each language.
WRONG_TYPE = {"fi": "väärän tyyppinen arvo", "sv": "värdet har fel typ",
              "en": "the value has the wrong type"}


@dataclass(frozen=True)
class Caller:
    """Who an API token speaks for: a main user of one company."""

    inviter: Inviter
    company: Company


class InviteRequest(BaseModel):
    """The body of ``POST /api/invitations``; the toolkit checks the values."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    role: str = "user"
    languages: list[str] | None = None


def create_portal(
    service: InvitationService,
    *,
    accounts: PortalAccounts,
    session_keys: str | bytes | Sequence[str | bytes],
    api_tokens: Mapping[str, Caller],
    max_threads: int = 4,
    login_url: str | None = None,
) -> FastAPI:
    """The portal app around ``service`` (closed when the app shuts down).

    ``api_tokens`` maps each bearer token to the main user it speaks for; a real
    portal checks its own sessions here instead (see :func:`caller` inside).
    """
    invitations = AsyncInvitationService(service, max_threads=max_threads)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await invitations.close()

    app = FastAPI(title="Portal", lifespan=lifespan)
    app.state.invitations = invitations
    app.state.accounts = accounts
    bearer = HTTPBearer(auto_error=False)

    def caller(request: Request, credentials: Annotated[
            HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
        """The main user behind the bearer token; a browser's cross-site call is refused."""
        if cross_site(request):
            raise HTTPException(403, "cross-site request refused")
        if credentials is not None:
            for token, who in api_tokens.items():
                if hmac.compare_digest(token.encode(), credentials.credentials.encode()):
                    return who
        raise HTTPException(401, "a bearer token is required",
                            headers={"WWW-Authenticate": "Bearer"})

    @app.post("/api/invitations", status_code=201)
    async def invite(body: InviteRequest, who: Annotated[Caller, Depends(caller)]
                     ) -> dict[str, object]:
        """Invite ``body.email`` to the caller's company; the mail goes out at once."""
        if not body.email:
            raise FieldRequired("email")
        invitation = await invitations.send_invite(
            body.email, company=who.company, invited_by=who.inviter, role=body.role,
            languages=body.languages, first_name=body.first_name, last_name=body.last_name)
        return {"id": invitation.id, "status": str(invitation.status),
                "delivery": None if invitation.delivery_state is None
                else str(invitation.delivery_state),
                "expires_at": invitation.expires_at.isoformat()}

    @app.get("/api/invitations/{invitation_id}")
    async def show(invitation_id: str, who: Annotated[Caller, Depends(caller)]
                   ) -> dict[str, object]:
        """One invitation of the caller's company, with the account made for it."""
        invitation = await invitations.get(invitation_id)
        if invitation.company_id != who.company.business_id:
            raise InvitationNotFound(invitation_id=invitation_id)
        return {"id": invitation.id, "status": str(invitation.status),
                "account_id": invitation.account_id}

    @app.exception_handler(InvitationError)
    async def refused(request: Request, exc: InvitationError) -> JSONResponse:
        """The toolkit's error in the caller's language (``Accept-Language``)."""
        lang = negotiate(request.query_params.get("lang"),
                         request.headers.get("accept-language"))
        status = (403 if isinstance(exc, NotAuthorized) else
                  404 if isinstance(exc, InvitationNotFound) else
                  503 if isinstance(exc, StoreUnavailable) else 422)
        return JSONResponse({"error": exc.code, "message": exc.message(lang)},
                            status_code=status)

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, exc: RequestValidationError) -> JSONResponse:
        """A body that is not the JSON object asked for, worded like the toolkit's errors."""
        first = exc.errors()[0] if exc.errors() else {}
        where = [str(part) for part in first.get("loc", ()) if isinstance(part, str)]
        field = where[-1] if where and where[-1] != "body" else "email"
        error = (FieldRequired(field) if first.get("type") == "missing"
                 else InvalidInput(field, reason=WRONG_TYPE))
        return await refused(request, error)

    app.mount(MOUNT, create_app(service, session_keys=session_keys, accounts=accounts,
                                login_url=login_url))
    return app


def cross_site(request: Request) -> bool:
    """Whether the browser says the request comes from another site (a bearer token
    is not sent by browsers on their own, but a stray ``Origin`` is refused too)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return True
    origin = request.headers.get("origin")
    return origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}"


def from_env() -> FastAPI:
    """The portal configured from the environment: the toolkit's ``INVITATIONS_*``
    variables, ``PORTAL_ACCOUNTS_DB`` (the users table's SQLite file),
    ``PORTAL_SESSION_KEY`` and one API token ``PORTAL_API_TOKEN`` for the main user
    ``PORTAL_INVITER`` of the company ``PORTAL_COMPANY_ID``/``PORTAL_COMPANY_NAME``
    (``PORTAL_CONTRACT_NUMBER``)."""
    env = os.environ
    company = Company(env["PORTAL_COMPANY_ID"], env["PORTAL_COMPANY_NAME"],
                      env.get("PORTAL_CONTRACT_NUMBER"))
    inviter = Inviter(env["PORTAL_INVITER"], company_id=company.business_id)
    return create_portal(
        service_from_env(),
        accounts=PortalAccounts(env.get("PORTAL_ACCOUNTS_DB", "portal-users.sqlite3")),
        session_keys=[env["PORTAL_SESSION_KEY"]],
        api_tokens={env["PORTAL_API_TOKEN"]: Caller(inviter, company)},
        login_url=env.get("PORTAL_LOGIN_URL"),
    )
