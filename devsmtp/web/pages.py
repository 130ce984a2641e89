"""The inbox's HTML pages and downloads (Starlette endpoints).

Every page is served with a CSP that allows only our own scripts and styles;
the mail's HTML is served by :meth:`InboxPages.preview` alone, under a CSP
that allows no script at all, into an iframe sandboxed without scripts/forms.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from babel.dates import format_datetime
from babel.units import format_unit
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ..catalog import BABEL_LOCALES, LANGUAGES, N_, NAMES, TIMEZONE, Language, language
from ..mail import content_disposition
from .invitation import InvitationChecker, build_panel
from .languages import COOKIE, choose_language
from .source import StoreSource
from .view import Loaded, build_view, preview_html

TEMPLATES = Path(__file__).resolve().parent / "templates"

UI_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
_PREVIEW_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data: cid:{remote}; "
    "form-action 'none'; frame-ancestors 'self'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox"
)
_COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


#: Strings the browser scripts show, translated per page.
JS_STRINGS = {
    "request_failed": N_("The server answered HTTP %(status)s."),
    "load_failed": N_("Could not load the messages; is devsmtp still running?"),
    "has_attachments": N_("Has attachments"),
    "show_inbox": N_("Show only the inbox of %(address)s"),
    "no_subject": N_("(no subject)"),
    "delete_one": N_("Delete message"),
    "confirm_one": N_("Delete the message “%(subject)s”?"),
    "confirm_all": N_("Delete all messages of every inbox?"),
    "confirm_inbox": N_("Delete every message in the inbox %(address)s?"),
    "shown": N_("%(count)s shown"),
    "live": N_("Live: new mail appears by itself"),
    "unread": N_("Unread"),
    "selected": N_("Message %(position)s of %(count)s: %(subject)s, from %(sender)s"),
    "deleted": N_("Message deleted."),
    "no_sessions": N_("No SMTP sessions yet."),
    "session_title": N_("Session %(id)s from %(peer)s, started %(when)s"),
    "refused": N_("refused"),
    "fault": N_("fault"),
    "offline": N_("Offline: reconnecting…"),
    # The checks tab (message.js).
    "checks_running": N_("Running the checks…"),
    "checks_done": N_("Checks done."),
    "no_html_part": N_("This message has no HTML part."),
    "all_supported": N_("Every feature this HTML uses is supported by these clients."),
    "line": N_("line %(line)s"),
    "not_in": N_("not in %(clients)s"),
    "partly_in": N_("partly in %(clients)s"),
    "no_links": N_("No links."),
    "link_answers": N_("answers %(status)s"),
    "link_fails": N_("does not answer: %(reason)s"),
    "not_fetched": N_("not fetched (neither loopback nor an allowed host)"),
    "not_on_base": N_("not under %(base)s"),
    "token_state": N_("token: %(state)s"),
    "state_valid": N_("valid"),
    "state_expired": N_("expired"),
    "state_used": N_("used"),
    "state_revoked": N_("revoked"),
    "state_tampered": N_("tampered"),
    "state_superseded": N_("replaced by a newer link"),
    "state_unknown": N_("not in the invitation store"),
    "state_unreadable": N_("not readable"),
    "spam_score": N_("%(score)s points; SpamAssassin calls %(threshold)s or more spam."),
    "spam_unavailable": N_("Spam score not available: %(reason)s"),
}


_SENTENCE_END = re.compile(r"[.!?…](?=\s|$)")


def excerpt(text: str, limit: int = 600) -> str:
    """``text`` cut after its last whole sentence within ``limit`` characters.

    Only when not even one sentence fits is it cut at a word, with "…".
    """
    if len(text) <= limit:
        return text
    ends = [match.end() for match in _SENTENCE_END.finditer(text, 0, limit)]
    if ends:
        return text[:ends[-1]]
    return text[:limit].rsplit(" ", 1)[0].rstrip() + "…"


def preview_csp(remote_images: bool) -> str:
    return _PREVIEW_CSP.format(remote=" https: http:" if remote_images else "")


def secure(response: Response, csp: str) -> Response:
    response.headers["Content-Security-Policy"] = csp
    response.headers.update(_COMMON_HEADERS)
    return response


@pass_context
def _datetime_filter(context: Context, when: datetime | None) -> str | Markup:
    """Date and time to the second in Helsinki time, with the zone (EET/EEST)."""
    if when is None:
        return "—"
    lang: Language = context["language"]
    local = when.astimezone(TIMEZONE)
    text = f"{format_datetime(local, 'medium', locale=lang.locale)} {local.strftime('%Z')}"
    # common.js rewrites every <time> with the browser's formatter, so the list
    # (filled by script) and the server-rendered pages read exactly alike.
    return Markup('<time datetime="{}">{}</time>').format(when.isoformat(), text)


@pass_context
def _filesize_filter(context: Context, size: int) -> str:
    """``11,6 kt`` / ``11,6 kB``: the same units the list's script shows."""
    lang: Language = context["language"]
    for unit, scale in (("digital-megabyte", 1024 * 1024), ("digital-kilobyte", 1024)):
        if size >= scale:
            return format_unit(size / scale, unit, "short", "#,##0.#", locale=lang.locale)
    return format_unit(size, "digital-byte", "short", locale=lang.locale)


def _iso(when: datetime | None) -> str:
    return when.isoformat() if when else ""


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["datetime"] = _datetime_filter
    env.filters["filesize"] = _filesize_filter
    env.filters["iso"] = _iso
    env.filters["excerpt"] = excerpt
    return env


@dataclass(frozen=True)
class WebConfig:
    """What the pages need besides the store."""

    checker: InvitationChecker
    #: The languages an invitation must carry, in order.
    invitation_languages: tuple[str, ...] = ("fi", "sv", "en")
    api_path: str = "/api"
    page_size: int = 50


class InboxPages:
    """The endpoints over a :class:`StoreSource` (blocking reads run in a thread)."""

    def __init__(self, source: StoreSource, config: WebConfig) -> None:
        self.source = source
        self.config = config
        self.env = environment()

    # -- helpers

    def _language(self, request: Request) -> tuple[Language, bool]:
        switch = request.query_params.get("lang")
        code = choose_language(switch, request.cookies.get(COOKIE),
                               request.headers.get("accept-language"))
        return language(code), switch in LANGUAGES

    def _render(self, request: Request, name: str, status: int = 200,
                **context: Any) -> Response:
        lang, switched = self._language(request)
        root = request.scope.get("root_path", "")

        def gettext(message: str, **values: object) -> str:
            text = lang.gettext(message)
            return text % values if values else text

        def ngettext(singular: str, plural: str, num: int) -> str:
            return lang.ngettext(singular, plural, num) % {"num": num}

        def url(route: str, **params: Any) -> str:
            return str(request.url_for(route, **params).path)

        def switch_url(code: str) -> str:
            target = request.url.include_query_params(lang=code)
            return f"{target.path}?{target.query}"

        page_data: Mapping[str, object] = {
            "lang": lang.code,
            "locale": BABEL_LOCALES[lang.code].replace("_", "-"),
            "timezone": str(TIMEZONE),
            "api": root + self.config.api_path,
            "page_size": self.config.page_size,
            "message_url": url("message", message_id="__ID__"),
            "inbox_url": url("inbox"),
            "message_id": getattr(context.get("m"), "id", None),
            "strings": {key: lang.gettext(text) for key, text in JS_STRINGS.items()},
            # devsmtp.api's server-sent event names.
            "event_types": ["new", "deleted", "reload"],
        }
        html = self.env.get_template(name).render(
            lang=lang.code, language=lang, _=gettext, gettext=gettext, ngettext=ngettext,
            url=url, switch_url=switch_url, static_url=lambda path: url("inbox_static", path=path),
            languages=[(code, NAMES[code]) for code in LANGUAGES], page_data=page_data,
            **context,
        )
        response = secure(HTMLResponse(html, status_code=status), UI_CSP)
        if switched:
            response.set_cookie(COOKIE, lang.code, max_age=365 * 86400, samesite="lax",
                                httponly=True)
        return response

    async def _stored(self, request: Request) -> Loaded | None:
        return await run_in_threadpool(self.source.load, str(request.path_params["message_id"]))

    def _not_found(self, request: Request) -> Response:
        return self._render(request, "not_found.html", status=404)

    # -- endpoints

    async def inbox(self, request: Request) -> Response:
        inboxes = await run_in_threadpool(self.source.inboxes)
        return self._render(request, "inbox.html", q=request.query_params.get("q", ""),
                            to=request.query_params.get("to", ""), inboxes=inboxes)

    async def message(self, request: Request) -> Response:
        stored = await self._stored(request)
        if stored is None:
            return self._not_found(request)
        lang, _ = self._language(request)
        view = build_view(
            stored,
            attachment_url=lambda index: str(request.url_for(
                "message_attachment", message_id=stored.record.id, index=index).path),
            gettext=lang.gettext,
        )
        # Opening a message in the inbox marks it read (the JSON API never does).
        await self.source.store.mark_read(stored.record.id)
        panel = await run_in_threadpool(
            build_panel, stored.mail,
            expected=self.config.invitation_languages, checker=self.config.checker,
            language=lang)
        tabs = [(key, lang.gettext(label)) for key, label in (
            ("html", N_("HTML")), ("text", N_("Text")), ("headers", N_("Headers")),
            ("raw", N_("Raw source")), ("envelope", N_("Envelope")),
            ("attachments", N_("Attachments")), ("links", N_("Links")),
            ("checks", N_("Checks")),
        ) if key != "html" or view.has_html]
        return self._render(request, "message.html", m=view, panel=panel, tabs=tabs,
                            dsn=stored.mail.delivery_statuses,
                            remote=request.query_params.get("remote") == "1")

    async def sessions(self, request: Request) -> Response:
        return self._render(request, "sessions.html")

    async def preview(self, request: Request) -> Response:
        stored = await self._stored(request)
        if stored is None or stored.html is None:
            return secure(Response("no HTML part", 404, media_type="text/plain"),
                          preview_csp(False))
        remote = request.query_params.get("remote") == "1"
        html = preview_html(stored.html, stored.mail)
        return secure(HTMLResponse(html), preview_csp(remote))

    async def eml(self, request: Request) -> Response:
        stored = await self._stored(request)
        if stored is None:
            return self._not_found(request)
        return _download(stored.raw, "message/rfc822", f"message-{stored.record.id}.eml")

    async def attachment(self, request: Request) -> Response:
        index = int(request.path_params["index"])
        found = await run_in_threadpool(
            self.source.part, str(request.path_params["message_id"]), index)
        if found is None:
            return self._not_found(request)
        content_type, data, name = found
        return _download(data, content_type, name or f"part-{index}")


def _download(data: bytes, content_type: str, filename: str) -> Response:
    response = Response(data, media_type=content_type,
                        headers={"Content-Disposition": content_disposition(filename)})
    # A download is never rendered by us, but keep browsers from sniffing it into HTML.
    return secure(response, "default-src 'none'; sandbox")
