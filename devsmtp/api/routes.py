"""The JSON API under ``/api`` (Starlette). No GET changes anything."""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .. import __version__
from ..checks.links import TokenChecker
from ..checks.run import CHECKS, CheckOptions, run_checks
from ..errors import (
    BadRequest,
    DevSMTPError,
    HTTPError,
    MessageNotFound,
    MethodNotAllowed,
    NotFound,
    RelayMissing,
    RelayNotAllowed,
    Unauthorized,
    UnsupportedMediaType,
    WaitTimeout,
)
from ..mail import ParsedMail, content_disposition
from ..settings import Settings
from ..smtp import CaptureHandler, Faults
from ..store import Event, Query, Store, StoredMessage
from . import detail, release
from .guard import RequestGuard

__all__ = ["ApiContext", "create_app", "routes"]


@dataclass
class ApiContext:
    """What the routes need: the store, the fault rules, sessions, settings."""

    store: Store
    faults: Faults
    handler: CaptureHandler
    settings: Settings
    ports: dict[str, object]
    #: Judges invitation tokens for the links check (the inbox panel's checker).
    token_checker: TokenChecker | None = None

    @property
    def check_options(self) -> CheckOptions:
        return CheckOptions(self.settings.check_base_url, tuple(self.settings.check_allow_hosts),
                            self.settings.spamd, self.token_checker)


class JSON(JSONResponse):
    """JSON with real UTF-8 (Finnish and Swedish stay readable)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _int(params: QueryParams, name: str, default: int | None, low: int, high: int) -> int | None:
    value = params.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(str(value))
    except ValueError:
        raise BadRequest(f"'{name}' must be a whole number, not {value!r}") from None
    if not low <= number <= high:
        raise BadRequest(f"'{name}' must be between {low} and {high}")
    return number


def _float(params: QueryParams, name: str, default: float, low: float, high: float) -> float:
    value = params.get(name)
    if value in (None, ""):
        return default
    try:
        number = float(str(value))
    except ValueError:
        raise BadRequest(f"'{name}' must be a number of seconds, not {value!r}") from None
    if not low <= number <= high:
        raise BadRequest(f"'{name}' must be between {low:g} and {high:g}")
    return number


def query_from(params: QueryParams) -> Query:
    """``to``, ``from``, ``subject``, ``q``, ``after``, ``before`` as a :class:`Query`."""
    return Query(
        to=params.get("to") or None,
        sender=params.get("from") or None,
        subject=params.get("subject") or None,
        q=params.get("q") or None,
        after=_int(params, "after", None, 0, 2**62),
        before=_int(params, "before", None, 0, 2**62),
    )


def _dicts(messages: list[StoredMessage]) -> list[dict[str, object]]:
    return [m.to_dict() for m in messages]


#: What a release request body may contain.
RELEASE_FIELDS = frozenset({"to", "from", "host", "port"})


def _path_int(request: Request, name: str, what: str) -> int:
    value = str(request.path_params[name])
    if (not (value.isascii() and value.isdigit()) or len(value) > 18
            or (name == "id" and int(value) < 1)):
        raise BadRequest(f"{value!r} is not a {what}: use a whole number"
                         + (" from 1 (GET /api/messages lists the ids)" if name == "id" else ""))
    return int(value)


def _names(value: str | None, allowed: tuple[str, ...] | None, what: str) -> tuple[str, ...]:
    """A comma-separated parameter as a tuple (checked against ``allowed`` when given)."""
    names = tuple(name.strip() for name in (value or "").split(",") if name.strip())
    unknown = [name for name in names if allowed is not None and name not in allowed]
    if unknown:
        raise BadRequest(f"'{what}' may name {', '.join(allowed or ())}, not "
                         f"{', '.join(map(repr, unknown))}")
    return names


def _id(request: Request) -> int:
    return _path_int(request, "id", "message id")


def routes(ctx: ApiContext) -> list[BaseRoute]:
    """The ``/api`` routes bound to ``ctx``."""
    store, faults = ctx.store, ctx.faults

    async def list_messages(request: Request) -> Response:
        query = query_from(request.query_params)
        limit = _int(request.query_params, "limit", 50, 1, 1000) or 50
        page = await run_in_threadpool(store.list, query, limit)
        return JSON({"messages": _dicts(page.messages), "next": page.next, "latest": store.latest})

    async def delete_messages(request: Request) -> Response:
        query = query_from(request.query_params)
        return JSON({"deleted": await store.delete_matching(query)})

    async def get_message(request: Request) -> Response:
        return JSON(await run_in_threadpool(detail.message_detail, store, _id(request)))

    async def checks(request: Request) -> Response:
        params = request.query_params
        only = _names(params.get("checks"), CHECKS, "checks") or CHECKS
        clients = _names(params.get("clients"), None, "clients")
        lang = params.get("lang") or "en"
        if lang not in ("fi", "sv", "en"):
            raise BadRequest(f"'lang' must be fi, sv or en, not {lang!r}")
        message, raw = await run_in_threadpool(store.load, _id(request))

        def run() -> dict[str, object]:
            try:
                found = run_checks(ParsedMail(raw, summary=message.summary), ctx.check_options,
                                   only=only, clients=clients, lang=lang)
            except ValueError as error:  # an unknown client family
                raise BadRequest(f"'clients': {error}") from None
            return {"id": message.id, **found}

        return JSON(await run_in_threadpool(run))

    async def delete_message(request: Request) -> Response:
        if not await store.delete(_id(request)):
            raise MessageNotFound(_id(request))
        return JSON({"deleted": 1})

    async def raw(request: Request) -> Response:
        _, data = await run_in_threadpool(store.load, _id(request))
        return Response(data, media_type="message/rfc822")

    def body(kind: str) -> Any:
        async def endpoint(request: Request) -> Response:
            content = await run_in_threadpool(detail.message_body, store, _id(request), kind)
            media = "text/plain" if kind == "text" else "text/html"
            headers = {"Content-Security-Policy": "sandbox; default-src 'none'; img-src data:"}
            return Response(content, media_type=f"{media}; charset=utf-8", headers=headers)

        return endpoint

    async def part(request: Request) -> Response:
        index = _path_int(request, "n", "part number")
        ctype, data, filename = await run_in_threadpool(
            detail.message_part, store, _id(request), index
        )
        headers = {"Content-Security-Policy": "sandbox; default-src 'none'"}
        if filename:
            headers["Content-Disposition"] = content_disposition(filename)
        return Response(data, media_type=ctype, headers=headers)

    async def release_message(request: Request) -> Response:
        body = await _json_body(request)
        unknown = sorted(set(body) - RELEASE_FIELDS)
        if unknown:
            raise BadRequest(f"unknown field(s) {', '.join(map(repr, unknown))}; the body "
                             f"may have {', '.join(sorted(RELEASE_FIELDS))}")
        recipients = release.recipients_from(body.get("to"))
        sender = body.get("from")
        if sender not in (None, ""):
            problem = release.address_problem(sender)
            if problem:
                raise BadRequest(f"'from' {problem}")
        for name, check in (("host", release.host_problem), ("port", release.port_problem)):
            if body.get(name) is not None:
                problem = check(body[name])
                if problem:
                    raise BadRequest(f"'{name}' {problem}")
        # 404 before 403: a missing message is the first thing to fix.
        message, data = await run_in_threadpool(store.load, _id(request))
        release.check(recipients, ctx.settings.relay_allow)
        # Only relays configured at start: a request naming any other is an SSRF.
        relays = release.configured_relays(ctx.settings)
        default_host, default_port = relays[0] if relays else (None, 25)
        host = body.get("host") or default_host
        port = body.get("port") or (default_port if host == default_host else 25)
        if host is None:
            raise RelayMissing()
        if not release.relay_allowed(host, port, relays):
            raise RelayNotAllowed()
        sender = sender or message.envelope.mail_from
        reply = await run_in_threadpool(
            release.relay, host, port, str(sender), recipients, data
        )
        return JSON({"released": message.id, "to": recipients, "relay": f"{host}:{port}",
                     "reply": reply})

    async def wait(request: Request) -> Response:
        params = request.query_params
        query = query_from(params)
        count = _int(params, "count", 1, 1, 1000) or 1
        timeout = _float(params, "timeout", 10.0, 0.0, 300.0)
        result = await store.wait(query, count=count, timeout=timeout)
        if result.complete:
            return JSON({"messages": _dicts(result.messages), "latest": store.latest})
        arrived = await run_in_threadpool(store.list, Query(after=query.after), 50)
        return JSON(
            {
                "error": WaitTimeout.code,
                "message": f"no {count} message(s) matched within {timeout:g}s",
                "messages": _dicts(result.messages),
                "arrived": _dicts(arrived.messages),
                "latest": store.latest,
            },
            status_code=408,
        )

    async def events(request: Request) -> Response:
        return StreamingResponse(
            _event_stream(store),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def list_faults(request: Request) -> Response:
        return JSON({"rules": [r.to_dict() for r in faults.list()]})

    async def add_faults(request: Request) -> Response:
        body: Any = await _json_body(request, allow_list=True)
        if isinstance(body, dict) and "rules" in body:
            body = body["rules"]
        rules = faults.add(body)
        return JSON({"rules": [r.to_dict() for r in rules]}, status_code=201)

    async def clear_faults(request: Request) -> Response:
        return JSON({"deleted": faults.clear()})

    async def delete_fault(request: Request) -> Response:
        faults.remove(str(request.path_params["fault_id"]))
        return JSON({"deleted": 1})

    async def sessions(request: Request) -> Response:
        return JSON({"sessions": [s.to_dict() for s in reversed(ctx.handler.sessions)]})

    async def inboxes(request: Request) -> Response:
        rows = await run_in_threadpool(store.inboxes)
        return JSON({"inboxes": [{"address": a, "count": n} for a, n in rows]})

    async def info(request: Request) -> Response:
        count = await run_in_threadpool(store.count)
        return JSON({"version": __version__, "count": count, "latest": store.latest,
                     **ctx.ports, "size_limit": ctx.settings.size_limit,
                     "max_messages": ctx.settings.max_messages})

    async def openapi(request: Request) -> Response:
        text = resources.files("devsmtp.api").joinpath("openapi.json").read_text("utf-8")
        return Response(text, media_type="application/json")

    # ``{id}``, not ``{id:int}``: a wrong id gets a JSON answer saying so (see _path_int).
    message = "/api/messages/{id}"
    return [
        Route("/api/messages", list_messages, methods=["GET"]),
        Route("/api/messages", delete_messages, methods=["DELETE"]),
        Route(message, get_message, methods=["GET"]),
        Route(message, delete_message, methods=["DELETE"]),
        Route(message + "/raw", raw, methods=["GET"]),
        Route(message + "/checks", checks, methods=["GET"]),
        Route(message + "/html", body("html"), methods=["GET"]),
        Route(message + "/text", body("text"), methods=["GET"]),
        Route(message + "/parts/{n}", part, methods=["GET"]),
        Route(message + "/release", release_message, methods=["POST"]),
        Route("/api/wait", wait, methods=["GET"]),
        Route("/api/events", events, methods=["GET"]),
        Route("/api/faults", list_faults, methods=["GET"]),
        Route("/api/faults", add_faults, methods=["PUT", "POST"]),
        Route("/api/faults", clear_faults, methods=["DELETE"]),
        Route("/api/faults/{fault_id}", delete_fault, methods=["DELETE"]),
        Route("/api/sessions", sessions, methods=["GET"]),
        Route("/api/inboxes", inboxes, methods=["GET"]),
        Route("/api/info", info, methods=["GET"]),
        Route("/api/openapi.json", openapi, methods=["GET"]),
    ]


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").partition(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/")
                                           and media.endswith("+json"))


async def _json_body(request: Request, *, allow_list: bool = False) -> dict[str, Any]:
    """The JSON body; 415 unless it is labelled JSON (no cross-site "simple" request)."""
    content_type = request.headers.get("content-type")
    raw = await request.body()
    if (content_type is not None or raw.strip()) and not _is_json(content_type):
        raise UnsupportedMediaType(content_type or "")
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as error:
        raise BadRequest(f"the body is not valid JSON ({error})") from None
    if isinstance(data, list) and allow_list:
        return data  # type: ignore[return-value]
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    return data


def _sse(event: Event) -> str:
    if event.kind == "new" and event.message is not None:
        data = event.data or json.dumps(event.message.to_dict(), ensure_ascii=False)
        return f"id: {event.message.id}\nevent: new\ndata: {data}\n\n"
    if event.kind == "deleted":
        return f"event: deleted\ndata: {json.dumps({'ids': list(event.ids)})}\n\n"
    return "event: reload\ndata: {}\n\n"


async def _event_stream(store: Store) -> AsyncIterator[str]:
    subscription = store.subscribe()
    try:
        yield "retry: 2000\n: devsmtp events\n\n"
        # Whatever queued up since the last write goes out in one write.
        while (events := await subscription.batch(timeout=15)) is not None:
            yield "".join(map(_sse, events)) if events else ": keep-alive\n\n"
    finally:
        subscription.close()


class BasicAuth:
    """HTTP basic auth (any user name, the configured password) for every route."""

    def __init__(self, app: ASGIApp, password: str) -> None:
        self.app = app
        self.password = password.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._ok(scope):
            response = error_response(Unauthorized(),
                                      {"WWW-Authenticate": 'Basic realm="devsmtp"'})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _ok(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", []):
            if name == b"authorization" and value[:6].lower() == b"basic ":
                try:
                    decoded = base64.b64decode(value[6:], validate=True)
                except ValueError:
                    return False
                return hmac.compare_digest(decoded.partition(b":")[2], self.password)
        return False


def error_response(error: DevSMTPError, headers: Mapping[str, str] | None = None) -> Response:
    """The API's one error answer: ``error.to_dict()`` with its HTTP status."""
    return JSON(error.to_dict(), status_code=error.status_code, headers=headers)


async def _error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DevSMTPError)
    return error_response(exc)


def _allowed_methods(request: Request) -> str:
    """Every method some route allows on this path (Starlette names only the first route)."""
    methods: list[str] = []
    for route in getattr(request.app, "routes", []):
        if isinstance(route, Route) and route.methods:
            match, _ = route.matches({**request.scope, "method": "GET", "type": "http"})
            if match != Match.NONE:
                methods += [m for m in route.methods if m not in methods and m != "HEAD"]
    return ", ".join(methods)


async def _http_error(request: Request, exc: Exception) -> Response:
    """404/405 (and any other HTTPException): JSON under ``/api``, Starlette's default else."""
    assert isinstance(exc, HTTPException)
    path = request.url.path
    if path == "/api" or path.startswith("/api/"):
        if exc.status_code == 405:
            allowed = _allowed_methods(request) or (exc.headers or {}).get("Allow", "")
            headers = {"Allow": allowed} if allowed else exc.headers
            return error_response(MethodNotAllowed(path, request.method, allowed), headers)
        error = (NotFound(path) if exc.status_code == 404
                 else HTTPError(exc.status_code, exc.detail))
        return error_response(error, exc.headers)
    if exc.status_code in {204, 304}:
        return Response(status_code=exc.status_code, headers=exc.headers)
    return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)


def create_app(ctx: ApiContext, extra: list[BaseRoute] | None = None) -> ASGIApp:
    """The whole HTTP app: ``/api`` plus ``extra`` (the web inbox), with auth if set."""
    handlers = {DevSMTPError: _error, HTTPException: _http_error}
    app: ASGIApp = Starlette(routes=[*routes(ctx), *(extra or [])],
                             exception_handlers=handlers)
    if ctx.settings.ui_password:
        app = BasicAuth(app, ctx.settings.ui_password)
    return RequestGuard(app, ctx.settings)
