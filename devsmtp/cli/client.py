"""The ``devsmtp`` client commands' side of the API: the client, its options, errors."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, NoReturn

import click
import httpx

from ..errors import DevSMTPError, ServerUnreachable
from ..settings import PORTS_FILE

__all__ = [
    "DEFAULT_DATA", "Api", "api_for", "api_options", "echo_json", "error_text", "fail", "lang",
]

DEFAULT_DATA = ".devsmtp"


def lang() -> str:
    """``fi`` or ``sv`` when the locale says so, else ``en``."""
    value = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG")
    return (value or "en")[:2] if (value or "")[:2] in ("fi", "sv") else "en"


def fail(error: DevSMTPError) -> NoReturn:
    """Exit with ``error`` in the user's language."""
    raise click.ClickException(error.message(lang()))


class Api:
    """A small httpx wrapper that turns API errors into readable CLI errors."""

    def __init__(self, url: str, password: str | None) -> None:
        auth = ("devsmtp", password) if password else None
        self.url = url.rstrip("/")
        self.client = httpx.Client(base_url=self.url, auth=auth, timeout=330)

    def call(self, method: str, path: str, ok: tuple[int, ...] = (), **kwargs: Any) -> Any:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            fail(ServerUnreachable(f"{self.url}: {error}"))
        if response.status_code >= 400 and response.status_code not in ok:
            raise click.ClickException(error_text(response))
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.content


def error_text(response: httpx.Response) -> str:
    """What the server said went wrong, in the user's language when it says so."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        messages = body.get("messages")
        text = (messages.get(lang()) if isinstance(messages, dict) else None) or body.get(
            "message"
        )
        if isinstance(text, str) and text:
            return text
    text = " ".join(response.text.split())[:300] or response.reason_phrase
    return f"HTTP {response.status_code} from {response.request.url}: {text}"


def api_for(ctx: click.Context) -> Api:
    """The client for ``--api``, or for the server whose ``--data`` holds ``ports.json``."""
    obj = ctx.ensure_object(dict)
    url = obj.get("api")
    if not url:
        ports = Path(obj["data"]) / PORTS_FILE
        if obj["data"] == DEFAULT_DATA and not ports.exists():
            ports = _nearby(ports)
        try:
            url = json.loads(ports.read_text("utf-8"))["api"]
        except (OSError, ValueError, KeyError):
            hint = f"no {ports}; is `devsmtp serve --data {obj['data']}` running?"
            fail(ServerUnreachable(hint))
    return Api(str(url), obj.get("password"))


def _nearby(default: Path) -> Path:
    """Without ``--data``, a running server one hidden directory down, such as
    the demo's ``.demo/devsmtp`` (a running server has ``ports.json``)."""
    found = sorted(Path(".").glob(f".*/devsmtp/{PORTS_FILE}"))
    if len(found) == 1:
        click.echo(f"devsmtp: using the server of --data {found[0].parent}", err=True)
        return found[0]
    if found:
        options = ", ".join(f"--data {path.parent}" for path in found)
        fail(ServerUnreachable(f"several servers are running; choose one: {options}"))
    return default


def api_options(fn: Any) -> Any:
    """``--api``, ``--data`` and ``--ui-password`` for every client command."""

    def store(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        ctx.ensure_object(dict)[param.name or ""] = value
        return value

    fn = click.option("--api", envvar="DEVSMTP_API", expose_value=False, callback=store,
                      help="API URL (default: from DATA/ports.json).")(fn)
    fn = click.option("--data", envvar="DEVSMTP_DATA", default=DEFAULT_DATA, expose_value=False,
                      callback=store, help="Data directory of the running server.")(fn)
    fn = click.option("--ui-password", "password", envvar="DEVSMTP_UI_PASSWORD",
                      expose_value=False, callback=store)(fn)
    return click.pass_context(fn)


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON (non-ASCII kept)."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))
