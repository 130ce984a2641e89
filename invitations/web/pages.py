"""Rendering the registration pages: one Jinja2 environment per language."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from ..i18n import language
from ..resources import templates_dir
from .i18n import DOMAIN

#: Names shown in the language switch, each in its own language.
LANGUAGE_NAMES = {"fi": "Suomi", "sv": "Svenska", "en": "English"}


class Pages:
    """Loads ``templates/web`` once per language and renders pages to responses."""

    def __init__(self, languages: Sequence[str], *, portal_name: str = "Posti") -> None:
        self.languages = tuple(languages)
        self.portal_name = portal_name
        # Fail at start-up, naming the file, rather than on the first visitor.
        for lang in self.languages:
            self.environment(lang)

    @cached_property
    def _loader(self) -> jinja2.BaseLoader:
        return jinja2.FileSystemLoader(templates_dir() / "web")

    def environment(self, lang: str) -> jinja2.Environment:
        return self._environments[lang]

    @cached_property
    def _environments(self) -> dict[str, jinja2.Environment]:
        environments = {}
        for lang in self.languages:
            env = jinja2.Environment(
                loader=self._loader,
                autoescape=True,
                undefined=jinja2.StrictUndefined,
                extensions=["jinja2.ext.i18n", "jinja2.ext.do"],
            )
            # Same settings as babel-web.cfg, so extraction and runtime agree.
            env.policies["ext.i18n.trimmed"] = True
            speaker = language(lang, DOMAIN)
            env.install_gettext_translations(  # type: ignore[attr-defined]
                speaker.translations, newstyle=True
            )
            env.filters["when"] = speaker.format_datetime
            environments[lang] = env
        return environments

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
        switch_path = request.url.path
        shared = {
            "lang": lang,
            "page": page,
            "portal_name": self.portal_name,
            "static_url": request.url_for("static", path="registration.css").path,
            "language_links": [
                (code, LANGUAGE_NAMES.get(code, code), f"{switch_path}?lang={code}")
                for code in self.languages
            ],
        }
        html = self.environment(lang).get_template(template).render({**shared, **(context or {})})
        return HTMLResponse(html, status_code=status_code)
