"""Rendering the registration pages: one Jinja2 environment per language."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import NoMatchFound

from invitations.i18n.languages import LANGUAGE_NAMES
from invitations.i18n.runtime import language
from invitations.resources import templates_dir

#: The gettext domain of the pages' own strings (``locales/<lang>/LC_MESSAGES/web.po``).
DOMAIN = "web"


class Pages:
    """Loads ``templates/web`` once per language and renders pages to responses."""

    def __init__(self, languages: Sequence[str], *, portal_name: str = "Posti",
                 order_url: str | None = None) -> None:
        self.languages = tuple(languages)
        self.portal_name = portal_name
        #: Where "no main user?" links point; default: this app's ``/order``.
        self.order_url = order_url
        loader = jinja2.FileSystemLoader(templates_dir() / "web")
        # Built now so that a missing or broken catalog fails start-up, naming the
        # file, rather than the first visitor's request.
        self._environments = {lang: _environment(loader, lang) for lang in self.languages}

    def environment(self, lang: str) -> jinja2.Environment:
        return self._environments[lang]

    def render(
        self,
        request: Request,
        template: str,
        lang: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
    ) -> HTMLResponse:
        """Render ``template`` in ``lang`` with the layout's shared context."""
        page = template.removesuffix(".html")
        shared = {
            "lang": lang,
            "page": page,
            "portal_name": self.portal_name,
            "static_url": request.url_for("static", path="registration.css").path,
            "favicon_url": request.url_for("static", path="favicon.svg").path,
            "order_url": self.order_url or _order_form(request),
            # A query-only reference: the same page in another language. Never built
            # from the request path, which a visitor controls (``//other.host/x`` would
            # make a link to another site).
            "language_links": [
                (code, LANGUAGE_NAMES.get(code, code), f"?lang={code}")
                for code in self.languages
            ],
        }
        html = self.environment(lang).get_template(template).render({**shared, **(context or {})})
        return HTMLResponse(html, status_code=status_code)


def _order_form(request: Request) -> str:
    """This app's order form, or ``/order`` when the app has none."""
    try:
        return request.url_for("order_form").path
    except NoMatchFound:
        return "/order"


def _environment(loader: jinja2.BaseLoader, lang: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n", "jinja2.ext.do"],
    )
    return language(lang, DOMAIN).install(env)
