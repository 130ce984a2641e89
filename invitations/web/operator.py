"""Customer service's pages: ``GET /operator/orders`` lists credential orders,
``GET /operator/orders/{reference}`` shows one with approve and reject forms,
``POST .../approve`` and ``POST .../reject`` decide.

Every request is authenticated by the host's callable (:mod:`invitations.web.operators`);
every POST carries a CSRF token bound to the order and must not come from
another site. The outcome of a decision is shown once, after a redirect.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from invitations.errors import FieldTooLong, InvitationError, OrderNotFound
from invitations.models import CredentialOrder, Inviter, OrderStatus
from invitations.orders import REJECTION_CODES, OrderService
from invitations.web.operators import OperatorAuth
from invitations.web.orders import MAX_BODY, bounded_body
from invitations.web.outcomes import Problem
from invitations.web.views import RegistrationViews

__all__ = ["OperatorViews"]


class OperatorViews:
    """Handlers of the operator pages, for operators the host's ``auth`` accepts."""

    def __init__(self, pages: RegistrationViews, orders: OrderService,
                 auth: OperatorAuth) -> None:
        self.pages = pages
        self.orders = orders
        self.auth = auth

    def _refuse(self, request: Request, lang: str) -> Response:
        session = self.pages.sessions.load(request)
        response = self.pages._page(request, session, "operator_denied.html", lang, {},
                                    status_code=403)
        challenge = getattr(self.auth, "challenge", None)
        if isinstance(challenge, str):
            response.status_code = 401
            response.headers["WWW-Authenticate"] = challenge
        return response

    async def _operator(self, request: Request) -> tuple[str, Inviter | Response]:
        """The page's language and the signed-in operator (or the refusal to send)."""
        lang = self.pages._lang(request)
        operator = await run_in_threadpool(self.auth, request)
        return lang, operator if operator is not None else self._refuse(request, lang)

    async def list_orders(self, request: Request) -> Response:
        lang, operator = await self._operator(request)
        if isinstance(operator, Response):
            return operator
        session = self.pages.sessions.load(request)
        status = request.query_params.get("status") or None
        if status not in (None, *(str(s) for s in OrderStatus)):
            status = None
        found = await run_in_threadpool(self.orders.list, status)
        context = {"orders": found, "status": status, "operator": operator,
                   "statuses": [str(s) for s in OrderStatus],
                   "detail_url": lambda order: request.url_for(
                       "operator_order", reference=order.reference).path}
        return self.pages._page(request, session, "operator_orders.html", lang, context)

    async def show_order(self, request: Request) -> Response:
        lang, operator = await self._operator(request)
        if isinstance(operator, Response):
            return operator
        session = self.pages.sessions.load(request)
        try:
            order = await run_in_threadpool(self.orders.get, request.path_params["reference"])
        except InvitationError as error:  # no such order, or not a reference at all
            return await self.pages._error_page(request, session, error, lang)
        return self._detail(request, session, lang, order, operator)

    def _detail(self, request: Request, session: Any, lang: str, order: CredentialOrder,
                operator: Inviter, *, error: InvitationError | None = None,
                values: dict[str, str] | None = None) -> Response:
        reference = order.reference
        context = {
            "order": order, "operator": operator,
            "approve_action": request.url_for("operator_approve", reference=reference).path,
            "reject_action": request.url_for("operator_reject", reference=reference).path,
            "list_url": request.url_for("operator_orders").path,
            "csrf_token": session.csrf_token("operator", reference),
            "needs_contract": "smartship" in order.services
                              and not order.company.contract_number,
            "rejection_codes": REJECTION_CODES,
            "error": None if error is None else error.message(lang),
            "values": values or {},
            "notice": session.pop("operator_notice"),
        }
        status = 200 if error is None else (409 if error.code == "order_decided" else 422)
        return self.pages._page(request, session, "operator_order.html", lang, context, status)

    async def decide(self, request: Request) -> Response:
        lang, operator = await self._operator(request)
        if isinstance(operator, Response):
            return operator
        session = self.pages.sessions.load(request)
        if not await bounded_body(request, MAX_BODY):
            return await self.pages.http_error(request, HTTPException(413))
        form = await request.form(max_files=0, max_fields=10)
        lang = self.pages._lang(request, form.get("lang"))
        reference = str(request.path_params["reference"])
        if not self.pages._checked_post(request, session, form, "operator", reference):
            context = {"order_url": request.url_for("operator_order",
                                                    reference=reference).path}
            return self.pages._problem(request, session, Problem("forbidden", context=context),
                                       lang)
        values = {name: str(form.get(name) or "") for name in ("contract_number", "code",
                                                                 "text")}
        approving = request.url.path.endswith("/approve")
        try:
            if approving:
                _, invitation = await run_in_threadpool(
                    lambda: self.orders.approve(reference, by=operator,
                                                contract_number=values["contract_number"]))
                notice = {"kind": "approved", "email": invitation.email}
            else:
                await run_in_threadpool(lambda: self.orders.reject(
                    reference, by=operator, code=values["code"], text=values["text"]))
                notice = {"kind": "rejected", "email": ""}
        except (OrderNotFound, FieldTooLong) as error:  # not an order's reference
            return await self.pages._error_page(request, session, error, lang)
        except InvitationError as error:
            order = await run_in_threadpool(self.orders.get, reference)
            return self._detail(request, session, lang, order, operator, error=error,
                                values=values)
        session.set("operator_notice", notice)
        url = request.url_for("operator_order", reference=reference).path + f"?lang={lang}"
        response = RedirectResponse(url, status_code=303)
        self.pages.sessions.save(request, response, session)
        return response
