"""The registration pages' request handlers.

Flow: the link from the e-mail (``GET /register?token=...``) only moves the
token into the signed session and redirects to ``/register``; the form is
then shown from the session, so the token leaves the address bar and the
history. No GET or HEAD changes anything on the server: mail scanners open
links before people do. Only a POST with the session's CSRF token redeems.

A form completes only the invitation it was shown for: its CSRF token is bound to
the invitation's id, and the session's CSRF secret is renewed whenever its
invitation changes. Another link opened while a registration is unfinished does
not replace it: a page asks whether to continue the first or switch, and only its
own POST switches (a page on another site can open links, but cannot choose).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from invitations.accounts import AccountCreator
from invitations.errors import InvitationError, RegistrationRejected
from invitations.i18n.negotiation import negotiate
from invitations.i18n.runtime import language
from invitations.models import Invitation, Registration
from invitations.password import PasswordPolicy
from invitations.web.outcomes import (
    FORM_FIELDS,
    Problem,
    field_errors,
    invitation_context,
    problem_for,
    problem_for_status,
)
from invitations.web.pages import DOMAIN, Pages
from invitations.web.session import Session, SessionCodec


class RegistrationService(Protocol):
    """The part of :class:`invitations.InvitationService` the pages use."""

    def verify(self, token: str) -> Invitation: ...

    def redeem(self, token: str, registration: Registration, *,
               accounts: AccountCreator | None = None) -> Invitation: ...

    def confirm_email(self, token: str, *, accounts: AccountCreator | None = None
                      ) -> Invitation: ...

    def get(self, invitation_id: str) -> Invitation: ...


def N_(msgid: str) -> str:
    """Mark ``msgid`` for the pages' catalog (domain ``web``, see babel-web.cfg)."""
    return msgid


#: What a visitor reads on an HTTP-level error page: msgids of the ``web`` catalog.
_HTTP_ERRORS: dict[int, str] = {
    404: N_(
        "There is no such page. Open the link in your invitation e-mail again; copy all of it."
    ),
    405: N_("This page cannot be used that way. Open the link in your invitation e-mail again."),
    400: N_("The form could not be read (too large or damaged). Go back and send the form again."),
}

#: The page when the host's account creation fails (not a refusal): status 500.
_ACCOUNT_FAILED = N_(
    "Your account could not be created because of a problem on our side. Nothing was "
    "saved and your invitation is still valid: try again in a few minutes. If it keeps "
    "happening, contact customer service."
)

log = logging.getLogger("invitations.web")


class RegistrationViews:
    """Handlers bound to one service, one session codec and one set of templates."""

    def __init__(
        self,
        service: RegistrationService,
        sessions: SessionCodec,
        pages: Pages,
        *,
        customer_service_url: str,
        password_policy: PasswordPolicy,
        accounts: AccountCreator | None = None,
        login_url: str | None = None,
        next_url: str | None = None,
    ) -> None:
        self.service = service
        self.accounts = accounts
        self.login_url = login_url
        self.next_url = next_url
        self.password_policy = password_policy
        self.sessions = sessions
        self.pages = pages
        self.languages: Sequence[str] = pages.languages
        self.customer_service_url = customer_service_url

    # -- helpers ------------------------------------------------------------

    def _lang(
        self, request: Request, explicit: object = None, fallbacks: Sequence[str] = ()
    ) -> str:
        requested = explicit if isinstance(explicit, str) else request.query_params.get("lang")
        return negotiate(
            requested, request.headers.get("accept-language"), fallbacks, self.languages
        )

    def _redirect(
        self, request: Request, session: Session, name: str, lang: str | None
    ) -> Response:
        url = request.url_for(name).path
        if lang in self.languages:
            url = f"{url}?lang={lang}"
        response = RedirectResponse(url, status_code=303)
        self.sessions.save(request, response, session)
        return response

    def _page(
        self,
        request: Request,
        session: Session,
        template: str,
        lang: str,
        context: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> Response:
        response = self.pages.render(request, template, lang, context, status_code=status_code)
        self.sessions.save(request, response, session)
        return response

    def _problem(self, request: Request, session: Session, problem: Problem, lang: str) -> Response:
        context = {
            **problem.context,
            "role": problem.role,
            "expires_at": problem.expires_at,
            "confirmation": problem.confirmation,
            "customer_service_url": self.customer_service_url,
        }
        return self._page(
            request, session, problem.template, lang, context, status_code=problem.status_code
        )

    async def http_error(self, request: Request, exc: Exception) -> Response:
        """An HTTP-level error (unknown address, wrong method, an unreadable or
        oversized form) as a page in the visitor's language, with what to do."""
        status = getattr(exc, "status_code", 500)
        lang = self._lang(request)
        text = language(lang, DOMAIN).gettext(_HTTP_ERRORS.get(status, _HTTP_ERRORS[400]))
        response = self._problem(request, self.sessions.load(request),
                                 Problem("error", context={"detail_messages": {lang: text}}),
                                 lang)
        response.status_code = status
        return response

    def _failed(self, request: Request, session: Session, lang: str, what: str) -> Response:
        """The host's account step failed: logged with its traceback (by the caller's
        ``except``), and the visitor gets the generic problem page, status 500."""
        log.exception("%s failed; the invitation is unchanged", what,
                      extra={"invitation_id": session.get("invitation")})
        text = language(lang, DOMAIN).gettext(_ACCOUNT_FAILED)
        response = self._problem(request, session,
                                 Problem("error", context={"detail_messages": {lang: text}}),
                                 lang)
        response.status_code = 500
        return response

    def _redeem(self, token: str, registration: Registration) -> Invitation:
        if self.accounts is None:
            return self.service.redeem(token, registration)
        return self.service.redeem(token, registration, accounts=self.accounts)

    def _confirm(self, token: str) -> Invitation:
        if self.accounts is None:
            return self.service.confirm_email(token)
        return self.service.confirm_email(token, accounts=self.accounts)

    def _finished(self, request: Request, session: Session, lang: str) -> Response:
        """Where a completed registration goes: the host's next step, or the done page."""
        done = session.get("done")
        if self.next_url and isinstance(done, dict) and done.get("status") == "accepted":
            response = RedirectResponse(self.next_url, status_code=303)
            self.sessions.save(request, response, session)
            return response
        return self._redirect(request, session, "register_done", lang)

    async def _error_page(
        self, request: Request, session: Session, error: InvitationError, lang: str
    ) -> Response:
        problem = await run_in_threadpool(problem_for, error, self.service)
        return self._problem(request, session, problem, lang)

    @staticmethod
    def _cross_site(request: Request) -> bool:
        """True when the browser says the POST comes from another site."""
        fetch_site = request.headers.get("sec-fetch-site")
        if fetch_site is not None and fetch_site not in ("same-origin", "none"):
            return True
        origin = request.headers.get("origin")
        # "null" is what a same-origin form sends under Referrer-Policy: no-referrer.
        own = f"{request.url.scheme}://{request.url.netloc}"
        return origin is not None and origin not in ("null", own)

    def _checked_post(self, request: Request, session: Session, form: FormData,
                      purpose: str, subject: object) -> bool:
        """The POST carries this session's token for ``purpose`` on ``subject`` (the
        invitation the form was shown for) and the browser does not call it cross-site."""
        submitted = form.get("csrf_token")
        token_ok = isinstance(subject, str) and session.csrf_matches(
            submitted if isinstance(submitted, str) else None, purpose, subject)
        cross_site = self._cross_site(request)
        if not token_ok or cross_site:
            log.warning("refused a %s POST to %s: %s", purpose, request.url.path,
                        "cross-site request" if cross_site else "CSRF token missing or wrong",
                        extra={"purpose": purpose, "cross_site": cross_site,
                               "invitation_id": subject if isinstance(subject, str) else None})
        return token_ok and not cross_site

    async def _verified(self, token: object) -> Invitation | None:
        """The invitation behind ``token`` if it verifies now; ``None`` otherwise."""
        if not isinstance(token, str):
            return None
        try:
            return await run_in_threadpool(self.service.verify, token)
        except InvitationError:
            return None

    @staticmethod
    def _open(invitation: Invitation | None) -> bool:
        """An invitation whose registration is still to be completed."""
        return invitation is not None and problem_for_status(invitation) is None

    @staticmethod
    def _adopt(session: Session, token: str) -> None:
        """Make ``token`` the session's invitation; a changed one renews the CSRF secret,
        so that no form shown before can be sent for it."""
        if session.get("token") != token:
            session.set("token", token)
            session.pop("invitation")
            session.renew_csrf()
        session.pop("offered")
        session.pop("done")

    @staticmethod
    def _bind(session: Session, invitation: Invitation) -> None:
        """Record which invitation the session's token verified as (renewing the CSRF
        secret if it is another one than recorded)."""
        if session.get("invitation") != invitation.id:
            session.set("invitation", invitation.id)
            session.renew_csrf()

    # -- /register ----------------------------------------------------------

    async def register_form(self, request: Request) -> Response:
        session = self.sessions.load(request)
        token = request.query_params.get("token")
        if token is not None:
            # The link from the e-mail: keep the token, drop it from the URL. Another
            # link while a registration is unfinished waits for the person's choice.
            current = session.get("token")
            if isinstance(current, str) and current != token and await self._asks(
                    current, token):
                session.set("offered", token)
            else:
                self._adopt(session, token)
            return self._redirect(request, session, "register", request.query_params.get("lang"))
        return await self._show_form(request, session)

    async def _asks(self, current: str, new: str) -> bool:
        """Whether opening ``new`` must ask first: ``current`` is unfinished and ``new``
        is not a link to the same invitation."""
        first = await self._verified(current)
        if not self._open(first):
            return False
        second = await self._verified(new)
        return second is None or first is None or second.id != first.id

    async def _choice(self, request: Request, session: Session, first: Invitation,
                      offered: str, lang: str) -> Response:
        """The page that offers to continue the unfinished registration or switch."""
        second = await self._verified(offered)
        context = {
            "first": {**invitation_context(first), "email": first.email},
            "second": None if second is None else {**invitation_context(second),
                                                   "email": second.email},
            "expires_at": first.expires_at,
            "action": request.url_for("register_switch").path,
            "csrf_token": session.csrf_token("switch", offered),
        }
        return self._page(request, session, "switch.html", lang, context)

    async def register_switch(self, request: Request) -> Response:
        """The choice: ``continue`` the unfinished registration or ``switch`` to the
        link opened last. Bound to that link, so a stale page cannot switch elsewhere."""
        session = self.sessions.load(request)
        form = await request.form()
        lang = self._lang(request, form.get("lang"))
        offered = session.get("offered")
        if not isinstance(offered, str):
            return self._redirect(request, session, "register", lang)
        if not self._checked_post(request, session, form, "switch", offered):
            return self._problem(request, session, Problem("forbidden"), lang)
        if form.get("choice") == "switch":
            self._adopt(session, offered)
        else:
            session.pop("offered")
        return self._redirect(request, session, "register", lang)

    async def _show_form(
        self,
        request: Request,
        session: Session,
        *,
        lang: str | None = None,
        values: dict[str, str] | None = None,
        errors: RegistrationRejected | None = None,
    ) -> Response:
        token = session.get("token")
        offered = session.get("offered")
        if isinstance(offered, str) and errors is None:
            first = await self._verified(token)
            if first is not None and self._open(first):
                return await self._choice(request, session, first, offered,
                                          lang or self._lang(request, fallbacks=first.languages))
            # Nothing unfinished any more (registered, expired, revoked): no need to ask.
            self._adopt(session, offered)
            token = offered
        if not isinstance(token, str):
            return self._problem(request, session, Problem("session"), lang or self._lang(request))
        try:
            invitation = await run_in_threadpool(self.service.verify, token)
        except InvitationError as exc:
            return await self._error_page(request, session, exc, lang or self._lang(request))
        lang = lang or self._lang(request, fallbacks=invitation.languages)
        problem = problem_for_status(invitation)
        if problem is not None:
            return self._problem(request, session, problem, lang)
        self._bind(session, invitation)
        if values is None:
            values = {
                "first_name": invitation.first_name or "",
                "last_name": invitation.last_name or "",
                "email": invitation.email,
                "username": invitation.email,
            }
        by_field, other = field_errors(errors.errors if errors else (), lang)
        context = {
            **invitation_context(invitation),
            "expires_at": invitation.expires_at,
            "action": request.url_for("register_submit").path,
            "csrf_token": session.csrf_token("register", invitation.id),
            "invitation_id": invitation.id,
            "values": {name: values.get(name, "") for name in FORM_FIELDS if name != "password"},
            "errors": by_field,
            "other_errors": other,
            "has_errors": errors is not None,
            "password_rules": self.password_policy.rules(lang),
        }
        status = 422 if errors is not None else 200
        return self._page(request, session, "register.html", lang, context, status)

    async def register_submit(self, request: Request) -> Response:
        session = self.sessions.load(request)
        form = await request.form()
        lang = self._lang(request, form.get("lang"))
        if session.get("token") is None and isinstance(session.get("done"), dict):
            # The form was sent twice (a double click, or back and send again): the
            # first one registered; show that instead of "nothing was saved".
            return self._redirect(request, session, "register_done", lang)
        bound = session.get("invitation")
        shown_for = form.get("invitation")
        if (isinstance(shown_for, str) and shown_for != bound
                and not self._cross_site(request)):
            # Another invitation was opened in this browser after this form was shown.
            context = {"register_url": request.url_for("register").path}
            return self._problem(request, session, Problem("switched", context=context), lang)
        if not self._checked_post(request, session, form, "register", bound):
            return self._problem(request, session, Problem("forbidden"), lang)
        token = session.get("token")
        if not isinstance(token, str):
            return self._problem(request, session, Problem("session"), lang)
        values = {name: _text(form, name) for name in FORM_FIELDS}
        registration = Registration(
            first_name=values["first_name"],
            last_name=values["last_name"],
            email=values["email"],
            username=values["username"],
            password=values["password"],
        )
        try:
            # The service blocks (SQLite, SMTP for a confirmation mail, the host's
            # create_account): never on the event loop.
            invitation = await run_in_threadpool(self._redeem, token, registration)
        except RegistrationRejected as exc:
            log.info("registration for invitation %s refused: %s", bound, _codes(exc),
                     extra={"invitation_id": bound})
            return await self._show_form(request, session, lang=lang, values=values, errors=exc)
        except InvitationError as exc:
            log.info("registration for invitation %s not possible: %s", bound,
                     type(exc).__name__, extra={"invitation_id": bound})
            return await self._error_page(request, session, exc, lang)
        except Exception:
            return self._failed(request, session, lang, "creating the account")
        log.info("registration for invitation %s done: %s", invitation.id, invitation.status,
                 extra={"invitation_id": invitation.id, "company_id": invitation.company_id})
        session.pop("token")
        session.pop("invitation")
        session.renew_csrf()  # a fresh CSRF secret for whatever comes next
        session.set(
            "done",
            {
                "status": str(invitation.status),
                "email": invitation.registered_email or values["email"],
                "username": invitation.registered_username or values["username"],
                "confirmed": False,
            },
        )
        return self._finished(request, session, lang)

    async def register_done(self, request: Request) -> Response:
        session = self.sessions.load(request)
        lang = self._lang(request)
        done = session.get("done")
        if not isinstance(done, dict):
            return self._problem(request, session, Problem("session"), lang)
        template = (
            "check_inbox.html"
            if done.get("status") == "awaiting_confirmation"
            else ("registered.html")
        )
        return self._page(request, session, template, lang,
                          {"done": done, "login_url": self.login_url})

    # -- /confirm-email -----------------------------------------------------

    async def confirm_form(self, request: Request) -> Response:
        session = self.sessions.load(request)
        token = request.query_params.get("token")
        if token is not None:
            # The confirm form's token is bound to this link; the registration form's
            # secret is kept, so a registration open in another tab still works.
            session.set("confirm", token)
            return self._redirect(
                request, session, "confirm_email", request.query_params.get("lang")
            )
        lang = self._lang(request)
        confirm = session.get("confirm")
        if not isinstance(confirm, str):
            return self._problem(request, session, Problem("session"), lang)
        context = {
            "action": request.url_for("confirm_email_submit").path,
            "csrf_token": session.csrf_token("confirm", confirm),
        }
        return self._page(request, session, "confirm_email.html", lang, context)

    async def confirm_submit(self, request: Request) -> Response:
        session = self.sessions.load(request)
        form = await request.form()
        lang = self._lang(request, form.get("lang"))
        if not self._checked_post(request, session, form, "confirm", session.get("confirm")):
            return self._problem(request, session, Problem("forbidden"), lang)
        token = session.get("confirm")
        if not isinstance(token, str):
            return self._problem(request, session, Problem("session"), lang)
        try:
            invitation = await run_in_threadpool(self._confirm, token)
        except InvitationError as exc:
            log.info("e-mail confirmation not possible: %s", type(exc).__name__)
            return await self._error_page(request, session, exc, lang)
        except Exception:
            return self._failed(request, session, lang, "enabling the account")
        log.info("e-mail address confirmed for invitation %s", invitation.id,
                 extra={"invitation_id": invitation.id, "company_id": invitation.company_id})
        session.pop("confirm")
        session.renew_csrf()
        session.set(
            "done",
            {
                "status": str(invitation.status),
                "email": invitation.registered_email or invitation.email,
                "username": invitation.registered_username or "",
                "confirmed": True,
            },
        )
        return self._finished(request, session, lang)


def _codes(error: RegistrationRejected) -> str:
    """``field:code`` of each refused field, for the log (never a submitted value)."""
    return ", ".join(f"{e.field}:{e.code}" for e in error.errors) or type(error).__name__


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""
