"""The Jinja2 environments that render mail, and CSS inlining at load time.

Mail clients ignore ``<style>`` blocks, so every style must sit in a
``style`` attribute. Inlining the rendered HTML on every send costs more
than the render itself; instead the CSS (rendered once per theme from
``email.css``) is inlined into the *template source* when a template loads.
That is exact as long as selectors only look at the static markup (tags and
classes, no ``:first-child`` or sibling combinators) and the HTML parser
leaves every Jinja tag as it was — :class:`InliningLoader` checks the latter
and refuses a template it would change.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import css_inline
from jinja2 import (
    BaseLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    select_autoescape,
)
from jinja2.ext import InternationalizationExtension

from invitations.errors import ConfigurationError
from invitations.resources import templates_dir

_JINJA_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_MARKUP_TAG = re.compile(r"<[^<>]*>")


def _jinja_signature(source: str) -> tuple[list[str], list[str]]:
    # Attributes may be reordered by the serializer, so their Jinja tags are
    # compared as a sorted list; tags in text must keep their exact order
    # (the parser moving text out of a table would change it).
    in_text = _JINJA_TAG.findall(_MARKUP_TAG.sub(" ", source))
    return sorted(_JINJA_TAG.findall(source)), in_text


def email_templates_dir() -> str:
    return str(templates_dir() / "email")


def make_environment(loader: BaseLoader | None = None) -> Environment:
    """A mail environment: ``.html`` autoescaped, ``.txt`` not; trimmed i18n."""
    env = Environment(
        loader=loader or FileSystemLoader(email_templates_dir()),
        autoescape=select_autoescape(("html",), default_for_string=False, default=False),
        extensions=[InternationalizationExtension],
        undefined=StrictUndefined,
        auto_reload=False,
        cache_size=-1,
        keep_trailing_newline=False,
        # Keep these and the trimmed policy in step with babel.cfg (extraction).
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.policies["ext.i18n.trimmed"] = True  # also set by Language.install
    return env


def load(env: Environment, name: str) -> Template:
    """``env.get_template(name)``, tuned for rendering many times.

    Jinja keeps a template's globals as a ``ChainMap`` over the environment's
    and copies it into a dict on every render; our environments never change
    after set-up, so the copy is made from a flat dict instead (faster).
    """
    template = env.get_template(name)
    template.globals = dict(template.globals)
    return template


class InliningLoader(BaseLoader):
    """Load mail templates, inlining ``css`` into the source of every ``.html`` one."""

    def __init__(self, css: str, base: BaseLoader | None = None) -> None:
        self.base = base or FileSystemLoader(email_templates_dir())
        self.css = css
        # Documents get the CSS as an extra sheet (at-rules stay in a <style>);
        # fragments have no <head>, so only their plain rules are inlined.
        self._document = css_inline.CSSInliner(
            keep_at_rules=True, extra_css=css, load_remote_stylesheets=False
        )
        self._fragment = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
        self._sources: dict[str, str] = {}

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, filename, uptodate = self.base.get_source(environment, template)
        if template.endswith(".html"):
            if template not in self._sources:
                self._sources[template] = self.inline(template, source)
            source = self._sources[template]
        return source, filename, uptodate

    def inline(self, name: str, source: str) -> str:
        """Return ``source`` with the CSS inlined; refuse if Jinja tags would change."""
        for tag in _JINJA_TAG.findall(source):
            # The HTML parser would read markup inside a tag (even a comment) as
            # elements and might close them elsewhere.
            if "<" in tag or ">" in tag:
                raise ConfigurationError(
                    f"template {name} cannot be CSS-inlined at load time: {tag[:40]!r} "
                    "holds < or >; keep markup out of Jinja tags and comments"
                )
        if "<html" in source:
            inlined = self._document.inline(source)
        else:
            inlined = self._fragment.inline_fragment(source, self.css)
        if _jinja_signature(source) != _jinja_signature(inlined):
            raise ConfigurationError(
                f"template {name} cannot be CSS-inlined at load time: the HTML parser "
                "changes its Jinja tags (keep tags inside elements, avoid <, > and \" in them)"
            )
        return inlined
