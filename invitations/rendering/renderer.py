"""The renderer: per-language sections from Jinja2 templates and Babel catalogs.

Each language has its own environment with its catalog installed (newstyle
gettext, trimmed). A message renders every configured language's section and
joins them in the shared layout: one subject joined with " / ", one HTML
document and one text document. Environments, compiled templates, catalogs
and Babel locales are built once per renderer; a renderer is built once per
theme (:func:`renderer_for`).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from jinja2 import BaseLoader, Template
from markupsafe import Markup

from invitations.i18n import runtime
from invitations.i18n.languages import LANGUAGES
from invitations.models import OutgoingMessage
from invitations.rendering.context import (
    ConfirmationEmail,
    InvitationEmail,
    OrderEmail,
    UndeliverableEmail,
)
from invitations.rendering.environment import InliningLoader, load, make_environment
from invitations.rendering.mime import build_message
from invitations.rendering.plaintext import layout_text
from invitations.theme import POSTI, Theme

KINDS = ("invitation", "confirmation", "undeliverable", "order_received", "order_rejected")
_TIME = Markup('<time datetime="{}">{}</time>')
DEFAULT_LANGUAGES = LANGUAGES


@dataclass(frozen=True)
class RenderedEmail:
    """The three texts of one message, before MIME."""

    subject: str
    text: str
    html: str
    languages: tuple[str, ...]


@dataclass(frozen=True)
class _Templates:
    subject: Template
    messages: Template
    html: Template
    text: Template


class _LanguageTemplates:
    """One language's environment and its compiled templates."""

    def __init__(self, lang: str, loader: BaseLoader) -> None:
        self.language = runtime.language(lang)
        self.dir = "rtl" if self.language.locale.character_order == "right-to-left" else "ltr"
        env = self.language.install(make_environment(loader))
        self.kinds = {
            kind: _Templates(
                load(env, f"{kind}/subject.txt"),
                load(env, f"{kind}/_messages.txt"),
                load(env, f"{kind}/body.html"),
                load(env, f"{kind}/body.txt"),
            )
            for kind in KINDS
        }


def instant(when: datetime) -> str:
    """The machine-readable expiry in ``<time datetime="...">``: UTC, to the second."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _validity(validity: timedelta) -> dict[str, int]:
    whole_days, rest = divmod(validity, timedelta(days=1))
    if whole_days and not rest:
        return {"validity_days": whole_days, "validity_hours": 0}
    return {"validity_days": 0, "validity_hours": math.ceil(validity / timedelta(hours=1))}


class Renderer:
    """Render and compose mail for one :class:`~invitations.theme.Theme`.

    ``languages`` are loaded at construction, so a missing or broken catalog
    fails here (start-up) with a :class:`~invitations.errors.CatalogError`;
    other languages load on first use. The theme's CSS is inlined into the
    templates when they load (see :mod:`.environment`).
    """

    def __init__(
        self,
        theme: Theme = POSTI,
        languages: Sequence[str] = DEFAULT_LANGUAGES,
        *,
        inline_css: bool = True,
    ) -> None:
        self.theme = theme
        plain = make_environment()
        #: The theme's stylesheet, rendered from ``email.css``.
        self.css = plain.get_template("email.css").render(theme=theme)
        self._loader: BaseLoader = InliningLoader(self.css)
        if not inline_css:  # for tools and tests that inline the result themselves
            assert plain.loader is not None
            self._loader = plain.loader
        layouts = make_environment(self._loader)
        self._html_layout = load(layouts, "_layout.html")
        self._text_layout = load(layouts, "_layout.txt")
        self._languages: dict[str, _LanguageTemplates] = {}
        self._lock = threading.Lock()
        for lang in languages:
            self._templates(lang)

    def _templates(self, lang: str) -> _LanguageTemplates:
        found = self._languages.get(lang)
        if found is None:
            with self._lock:
                found = self._languages.get(lang)
                if found is None:
                    found = self._languages[lang] = _LanguageTemplates(lang, self._loader)
        return found

    def _render(
        self, kind: str, languages: Sequence[str], values: Mapping[str, object],
        expires_at: datetime | None, expires_iso: str | None = None,
    ) -> RenderedEmail:
        if not languages:
            raise ValueError("at least one language is needed")
        if expires_iso is None and expires_at is not None:
            expires_iso = instant(expires_at)
        subjects: list[str] = []
        preheaders: list[str] = []
        html_sections: list[Markup] = []
        text_sections: list[str] = []
        for index, lang in enumerate(languages):
            pack = self._templates(lang)
            templates = pack.kinds[kind]
            context = dict(values, lang=lang, dir=pack.dir, first=index == 0, theme=self.theme,
                           customer_service_url=self.theme.customer_service_for(lang))
            if expires_at is not None:  # order mail has no link, so no expiry
                expires_text = pack.language.format_datetime(expires_at)
                context.update(expires_at=expires_text, moment=expires_text,
                               when=_TIME.format(expires_iso, expires_text))
            # One line whatever the translator typed: a subject cannot span headers.
            title = " ".join(templates.subject.render(context).split())
            context["title"] = title
            context["m"] = messages = templates.messages.make_module(context)
            subjects.append(title)
            preheaders.append(str(messages.preheader))  # type: ignore[attr-defined]
            html_sections.append(Markup(templates.html.render(context)))
            text_sections.append(layout_text(templates.text.render(context)))
        subject = " / ".join(subjects)
        html = self._html_layout.render(
            lang=languages[0], dir=self._templates(languages[0]).dir, subject=subject,
            preheader=" / ".join(preheaders),
            sections=html_sections, theme=self.theme,
        )
        text = self._text_layout.render(sections=text_sections) + "\n"
        return RenderedEmail(subject, text, html + "\n", tuple(languages))

    def render_invitation(
        self, email: InvitationEmail, *, expires_iso: str | None = None
    ) -> RenderedEmail:
        """Subject, text and HTML of an invitation, in ``email.languages`` order.

        ``expires_iso`` replaces the machine-readable expiry instant (for
        :class:`~invitations.rendering.batch.BatchComposer`'s markers).
        """
        values = {
            "to_name": email.to_name,
            "inviter_name": email.inviter_name,
            "company_name": email.company_name,
            "invited_role": email.invited_role,
            "link": email.link,
            **_validity(email.validity),
        }
        return self._render("invitation", email.languages, values, email.expires_at,
                            expires_iso)

    def render_confirmation(self, email: ConfirmationEmail) -> RenderedEmail:
        """Subject, text and HTML of an e-mail address confirmation."""
        values = {"to_name": email.to_name, "link": email.link, **_validity(email.validity)}
        return self._render("confirmation", email.languages, values, email.expires_at)

    def render_undeliverable(self, email: UndeliverableEmail) -> RenderedEmail:
        """Subject, text and HTML of the notice that an invitation was not delivered
        (the time shown is when the invitation was sent)."""
        values = {"to_name": email.to_name, "invited_email": email.invited_email,
                  "company_name": email.company_name, "reason": email.reason,
                  "diagnostic": email.diagnostic}
        return self._render("undeliverable", email.languages, values, email.invited_at)

    def render_order(self, email: OrderEmail) -> RenderedEmail:
        """Subject, text and HTML of a credential order's acknowledgement or rejection."""
        values = {
            "to_name": email.to_name, "reference": email.reference,
            "company_name": email.company_name, "business_id": email.business_id,
            "reason": email.reason, "main_user_name": email.main_user_name,
            "main_user_email": email.main_user_email, "services": email.services,
            "order_contract": email.order_contract, "contract_number": email.contract_number,
            "form_url": email.form_url, "rejection_code": email.rejection_code,
            "rejection_text": email.rejection_text, **_validity(email.validity),
        }
        return self._render(email.kind, email.languages, values, None)

    def expiry_texts(self, email: InvitationEmail) -> tuple[str, ...]:
        """The expiry as each of ``email.languages`` shows it (to the minute)."""
        return tuple(
            self._templates(lang).language.format_datetime(email.expires_at)
            for lang in email.languages
        )

    def compose(
        self, email: InvitationEmail | ConfirmationEmail | UndeliverableEmail | OrderEmail,
        rendered: RenderedEmail,
    ) -> OutgoingMessage:
        """The message of ``email`` with texts already rendered."""
        return build_message(
            sender=email.sender,
            sender_name=self.theme.sender_name,
            to_email=email.to_email,
            to_name=email.to_name,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            languages=rendered.languages,
            message_id=email.message_id,
            sent_at=email.sent_at,
        )

    def compose_invitation(self, email: InvitationEmail) -> OutgoingMessage:
        return self.compose(email, self.render_invitation(email))

    def compose_confirmation(self, email: ConfirmationEmail) -> OutgoingMessage:
        return self.compose(email, self.render_confirmation(email))

    def compose_undeliverable(self, email: UndeliverableEmail) -> OutgoingMessage:
        return self.compose(email, self.render_undeliverable(email))

    def compose_order(self, email: OrderEmail) -> OutgoingMessage:
        return self.compose(email, self.render_order(email))


@cache
def renderer_for(theme: Theme = POSTI) -> Renderer:
    """The process-wide renderer of ``theme`` (built on first use)."""
    return Renderer(theme)
