"""The toolkit inside Django: one :class:`~invitations.InvitationService` per process,
and the registration pages (:func:`invitations.web.create_app`, an ASGI app)
answered through one thin Django view, :func:`registration`.

The view hands Django's request to the ASGI app and Django the app's answer, so the
pages work under ``runserver``, any WSGI server and any ASGI server alike, behind
Django's own middleware. Mounted at ``settings.INVITATIONS["MOUNT"]``, which the
service's ``BASE_URL`` must end in, so that the mail's links arrive here.
"""

import asyncio
import threading
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from starlette.types import ASGIApp, Message

from invitations import InvitationService
from invitations.store import open_store
from invitations.web import create_app

from .accounts import DjangoAccounts

_lock = threading.Lock()
_made: dict[str, Any] = {}


def service() -> InvitationService:
    """The process's invitation service, made on first use from ``settings.INVITATIONS``."""
    with _lock:
        if "service" not in _made:
            conf = settings.INVITATIONS
            _made["service"] = InvitationService(
                conf["SECRET_KEYS"], conf["BASE_URL"], conf["TRANSPORT"],
                store=open_store(conf["DB"]), close_store=True)
        made: InvitationService = _made["service"]
        return made


def registration_app() -> ASGIApp:
    """The registration pages for :func:`service`, creating ``auth.User`` accounts."""
    svc = service()
    with _lock:
        if "app" not in _made:
            conf = settings.INVITATIONS
            _made["app"] = create_app(svc, session_keys=conf["SECRET_KEYS"],
                                      accounts=DjangoAccounts(), login_url=settings.LOGIN_URL)
        app: ASGIApp = _made["app"]
        return app


def close() -> None:
    """Close the service (tests, or a worker's shutdown hook); made again on next use."""
    with _lock:
        made = _made.pop("service", None)
        _made.pop("app", None)
    if made is not None:
        made.close()


class Answer(HttpResponse):
    """The registration pages' answer as a Django response (``url`` is where a
    redirect goes, as on Django's own redirects)."""

    @property
    def url(self) -> str:
        return str(self.headers.get("Location", ""))


@csrf_exempt  # the pages check their own per-session CSRF token and the Origin
async def registration(request: HttpRequest, path: str = "") -> HttpResponse:
    """Answer ``request`` (anything under the mount) with the registration pages."""
    mount = settings.INVITATIONS["MOUNT"].rstrip("/")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
        "method": request.method, "scheme": request.scheme,
        "path": request.path, "raw_path": request.path.encode(),
        "root_path": mount, "query_string": request.META.get("QUERY_STRING", "").encode(),
        "headers": [(name.lower().encode("latin-1"), value.encode("latin-1"))
                    for name, value in request.headers.items()],
        "client": (request.META.get("REMOTE_ADDR", ""), 0),
        "server": (request.META.get("SERVER_NAME", ""), int(request.get_port() or 0)),
    }
    body = request.body  # read (and size-limited) by Django: DATA_UPLOAD_MAX_MEMORY_SIZE
    answered = asyncio.Event()
    sent_body = False
    start: Message = {}
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await answered.wait()  # "disconnected" only once the answer is complete
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                answered.set()

    # Made on first use (opening the store, loading catalogs): off the event loop.
    made = _made.get("app")
    app: ASGIApp = made if made is not None else await asyncio.to_thread(registration_app)
    await app(scope, receive, send)
    response = Answer(b"".join(chunks), status=start.get("status", 500))
    for raw_name, raw_value in start.get("headers", []):
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        if name == "set-cookie":
            response.cookies.load(value)
        elif name != "content-length":
            response.headers[name] = value
    return response
