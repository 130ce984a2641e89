"""The credential order form ("Tunnustilauslomake"): ``GET/POST /order`` and
``GET /order/done``.

Same look, languages and protections as the registration pages: the POST must
carry the session's CSRF token for the form and not come from another site;
a honeypot field and flood limits (per client address, per company) answer with
a page in the visitor's language; every field's problem is shown beside it, and
nothing is stored unless the whole form is right. After a stored order the
browser is redirected (so a reload sends nothing twice) to a page with the
reference.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from invitations.errors import InvitationError, OrderOpen, OrderRejected
from invitations.orders import OrderForm, OrderService
from invitations.web.limits import OrderLimits
from invitations.web.outcomes import Problem, field_errors
from invitations.web.views import RegistrationViews

__all__ = ["HONEYPOT", "ORDER_FIELDS", "OrderViews"]

#: The text fields of the form, in the order the page shows them.
ORDER_FIELDS = ("company_id", "company_name", "orderer_name", "orderer_email",
                "orderer_phone", "main_user_first_name", "main_user_last_name",
                "main_user_email", "reason", "previous_main_user_name",
                "previous_main_user_email", "contract_number", "terms")
#: The boxes of the form.
ORDER_FLAGS = ("smartship", "order_contract", "terms")
#: A field people never see (hidden by the stylesheet) that bots fill in.
HONEYPOT = "website"
#: The largest form accepted: the fields' own limits are far below these.
MAX_FIELDS = 40
MAX_BODY = 64 * 1024

log = logging.getLogger("invitations.web")


class OrderViews:
    """Handlers of the order form, on the registration pages' sessions and templates."""

    def __init__(self, pages: RegistrationViews, orders: OrderService, *,
                 limits: OrderLimits | None = None) -> None:
        self.pages = pages
        self.orders = orders
        self.per_address, self.per_company = (limits or OrderLimits()).limiters()

    async def order_form(self, request: Request) -> Response:
        session = self.pages.sessions.load(request)
        lang = self.pages._lang(request)
        values = {"reason": "no_main_user", "smartship": "on"}
        return self._form(request, session, lang, values, None)

    def _form(self, request: Request, session: Any, lang: str, values: dict[str, str],
              errors: OrderRejected | None) -> Response:
        by_field, other = field_errors(errors.errors if errors else (), lang, ORDER_FIELDS)
        context = {
            # The language in the address too: a body refused unread is answered in it.
            "action": f"{request.url_for('order_submit').path}?lang={lang}",
            "csrf_token": session.csrf_token("order"),
            "values": {name: values.get(name, "") for name in (*ORDER_FIELDS, *ORDER_FLAGS)},
            "errors": by_field,
            "other_errors": other,
            "has_errors": errors is not None,
            "honeypot": HONEYPOT,
        }
        status = 422 if errors is not None else 200
        return self.pages._page(request, session, "order.html", lang, context, status)

    def _refused(self, request: Request, session: Any, lang: str, why: str,
                 status: int, wait: float = 0) -> Response:
        context = {"why": why, "minutes": max(1, math.ceil(wait / 60)),
                   "order_url": request.url_for("order_form").path}
        return self.pages._page(request, session, "order_refused.html", lang, context, status)

    async def order_submit(self, request: Request) -> Response:
        session = self.pages.sessions.load(request)
        if not await bounded_body(request, MAX_BODY):
            return await self.pages.http_error(request, HTTPException(413))
        form = await request.form(max_files=0, max_fields=MAX_FIELDS)
        lang = self.pages._lang(request, form.get("lang"))
        if not self.pages._checked_post(request, session, form, "order", ""):
            again = {"order_url": request.url_for("order_form").path}
            return self.pages._problem(request, session, Problem("forbidden", context=again),
                                       lang)
        if _text(form, HONEYPOT):
            log.info("order form refused: the honeypot field was filled in")
            return self._refused(request, session, lang, "trap", 400)
        address = request.client.host if request.client else "-"
        wait = self.per_address.hit(address)
        values = {name: _text(form, name) for name in (*ORDER_FIELDS, *ORDER_FLAGS)}
        company = values["company_id"].strip().upper()
        if wait is None and company:
            wait = self.per_company.hit(company[:16])
        if wait is not None:
            log.warning("order form refused: flood limit", extra={"company_id": company[:16]})
            return self._refused(request, session, lang, "flood", 429, wait)
        order_form = OrderForm.from_fields(values)
        try:
            order = await run_in_threadpool(self.orders.submit, order_form, lang=lang)
        except OrderRejected as rejected:
            return self._form(request, session, lang, values, rejected)
        except OrderOpen as open_order:
            context: dict[str, Any] = {"reference": open_order.params["reference"],
                       "company_id": open_order.params["company_id"]}
            return self.pages._page(request, session, "order_open.html", lang, context, 409)
        except InvitationError as error:
            return await self.pages._error_page(request, session, error, lang)
        session.renew_csrf()
        session.set("order_done", {"reference": order.reference, "email": order.orderer_email,
                                   "main_user": order.main_user_email})
        return self.pages._redirect(request, session, "order_done", lang)

    async def order_done(self, request: Request) -> Response:
        session = self.pages.sessions.load(request)
        lang = self.pages._lang(request)
        done = session.get("order_done")
        if not isinstance(done, dict):
            return self.pages._redirect(request, session, "order_form", lang)
        return self.pages._page(request, session, "order_received.html", lang, {"done": done})


async def bounded_body(request: Request, limit: int) -> bool:
    """Read the request body, but no more than ``limit`` bytes (a declared length is
    checked first); ``False`` if it is larger. The body is kept for ``request.form()``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return False
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return False
        chunks.append(chunk)
    request._body = b"".join(chunks)  # what Request.body() caches; form() reads it
    return True


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""
