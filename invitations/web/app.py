"""``create_app``: the reference "Käyttäjärekisteröinti" pages as an ASGI app."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from invitations.accounts import AccountCreator
from invitations.errors import ConfigurationError
from invitations.i18n.languages import LANGUAGES
from invitations.orders import OrderService
from invitations.password import PasswordPolicy
from invitations.resources import templates_dir
from invitations.theme import POSTI, Theme
from invitations.tokens import check_secret_keys
from invitations.web.limits import OrderLimits
from invitations.web.operator import OperatorViews
from invitations.web.operators import OperatorAuth
from invitations.web.orders import OrderViews
from invitations.web.pages import Pages
from invitations.web.security import HostAllowList, SecurityHeadersMiddleware
from invitations.web.session import DEFAULT_MAX_AGE, SessionCodec
from invitations.web.views import RegistrationService, RegistrationViews


def create_app(
    service: RegistrationService,
    *,
    session_keys: str | bytes | Sequence[str | bytes],
    languages: Sequence[str] | None = None,
    customer_service_url: str | None = None,
    password_policy: PasswordPolicy | None = None,
    portal_name: str | None = None,
    session_max_age: int = DEFAULT_MAX_AGE,
    debug: bool = False,
    accounts: AccountCreator | None = None,
    login_url: str | None = None,
    next_url: str | None = None,
    orders: OrderService | None = None,
    operators: OperatorAuth | None = None,
    order_url: str | None = None,
    order_limits: OrderLimits | None = None,
    allowed_hosts: Sequence[str] | None = None,
) -> Starlette:
    """Build the registration pages for ``service``.

    Routes: ``GET /register?token=...`` (the link in the mail),
    ``GET|POST /register``, ``POST /register/switch`` (continue an unfinished
    registration or switch to another link), ``GET /register/done``,
    ``GET|POST /confirm-email`` and ``/static/...``. Mount the app at the
    service's ``base_url`` so that the links in the mail arrive here.

    ``session_keys`` sign the session cookie, newest first (the newest signs,
    all verify), at least 32 bytes each like the service's keys, which may be
    passed here: the cookie is signed under a salt of its own.

    ``accounts`` receives each registration (the password included, nowhere else)
    and creates the account in the host's user directory before the invitation is
    accepted (see :mod:`invitations.accounts`). ``login_url`` puts a sign-in button
    on the done page; ``next_url`` sends the new user there instead of the done page
    once the registration is complete (the host's own next step).

    ``orders`` (an :class:`~invitations.orders.OrderService`) adds the credential order
    form: ``GET|POST /order`` and ``GET /order/done`` (flood limits: ``order_limits``).
    ``operators`` (the host's check, see :mod:`invitations.web.operators`) adds the
    operator pages ``/operator/orders``. ``order_url`` is where the pages' "no main
    user?" links point (default: this app's ``/order``).

    ``allowed_hosts`` (names, or ``name:port``): any other ``Host`` header is answered
    ``400`` before a page runs (links and redirects are built from it).
    """
    if accounts is not None and not isinstance(accounts, AccountCreator):
        raise ConfigurationError(
            "accounts must implement create_account(invitation, registration) and "
            "enable_account(invitation, account); see invitations.accounts.AccountCreator"
        )
    keys = check_secret_keys(session_keys)
    langs = tuple(languages or getattr(service, "languages", None) or LANGUAGES)
    unknown = [lang for lang in langs if lang not in LANGUAGES]
    if unknown:
        raise ConfigurationError(
            f"the registration pages have no catalog for {', '.join(unknown)}; "
            f"choose among {', '.join(LANGUAGES)}"
        )
    views = RegistrationViews(
        service,
        SessionCodec(keys, max_age=session_max_age),
        Pages(langs, portal_name=portal_name or _theme(service).portal_name,
              order_url=order_url),
        customer_service_url=customer_service_url or _theme(service).customer_service_url,
        password_policy=password_policy or _service_policy(service),
        accounts=accounts,
        login_url=login_url,
        next_url=next_url,
    )
    routes = [
        Route("/register", views.register_form, methods=["GET"], name="register"),
        Route("/register", views.register_submit, methods=["POST"], name="register_submit"),
        Route("/register/switch", views.register_switch, methods=["POST"],
              name="register_switch"),
        Route("/register/done", views.register_done, methods=["GET"], name="register_done"),
        Route("/confirm-email", views.confirm_form, methods=["GET"], name="confirm_email"),
        Route(
            "/confirm-email", views.confirm_submit, methods=["POST"], name="confirm_email_submit"
        ),
        Mount("/static", StaticFiles(directory=templates_dir() / "web" / "static"), name="static"),
    ]
    if orders is not None:
        routes += _order_routes(views, orders, operators, order_limits)
    # Starlette's own errors (unknown path, wrong method, a form it cannot parse)
    # would be bare English text; they get the problem page in the visitor's language.
    handlers = dict.fromkeys((HTTPException, 400, 404, 405), views.http_error)
    middleware = [Middleware(SecurityHeadersMiddleware)]
    if allowed_hosts is not None:
        middleware.insert(0, Middleware(HostAllowList, hosts=allowed_hosts, languages=langs))
    return Starlette(debug=debug, routes=routes, exception_handlers=handlers,
                     middleware=middleware)


def _order_routes(views: RegistrationViews, orders: OrderService,
                  operators: OperatorAuth | None, limits: OrderLimits | None) -> list[Route]:
    """The order form's routes, and the operator pages' when operators are checked."""
    form = OrderViews(views, orders, limits=limits)
    routes = [
        Route("/order", form.order_form, methods=["GET"], name="order_form"),
        Route("/order", form.order_submit, methods=["POST"], name="order_submit"),
        Route("/order/done", form.order_done, methods=["GET"], name="order_done"),
    ]
    if operators is not None:
        desk = OperatorViews(views, orders, operators)
        routes += [
            Route("/operator/orders", desk.list_orders, methods=["GET"], name="operator_orders"),
            Route("/operator/orders/{reference}", desk.show_order, methods=["GET"],
                  name="operator_order"),
            Route("/operator/orders/{reference}/approve", desk.decide, methods=["POST"],
                  name="operator_approve"),
            Route("/operator/orders/{reference}/reject", desk.decide, methods=["POST"],
                  name="operator_reject"),
        ]
    return routes


def _theme(service: RegistrationService) -> Theme:
    # The mail's theme, so that the mail and the pages name the same portal and chat.
    theme = getattr(service, "theme", None)
    return theme if isinstance(theme, Theme) else POSTI


def _service_policy(service: RegistrationService) -> PasswordPolicy:
    # Spell out the rules the service will enforce, not a copy that could drift.
    for name in ("password_policy", "policy"):
        policy = getattr(service, name, None)
        if isinstance(policy, PasswordPolicy):
            return policy
    return PasswordPolicy.document()
