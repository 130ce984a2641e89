"""The ``devsmtp`` client commands' side of the API: the client, its options, errors."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, NoReturn

import click
import httpx

from ..errors import LANGUAGES, N_, DevSMTPError, ServerUnreachable
from ..settings import PORTS_FILE

__all__ = [
    "DEFAULT_DATA", "LANG_KEY", "Api", "api_for", "api_options", "echo_json", "error_text",
    "fail", "lang", "lang_option", "say",
]

DEFAULT_DATA = ".devsmtp"
#: Where ``--lang`` keeps its choice (``click.Context.meta`` of the root command).
LANG_KEY = "devsmtp.lang"


def lang() -> str:
    """The language of messages: ``--lang`` (on the command or on ``devsmtp``), else
    ``DEVSMTP_LANG``, else ``fi`` or ``sv`` when the locale says so, else ``en``."""
    context = click.get_current_context(silent=True)
    chosen = context.find_root().meta.get(LANG_KEY) if context is not None else None
    if isinstance(chosen, str):
        return chosen
    for variable in ("DEVSMTP_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "")[:2].lower()
        if value in LANGUAGES:
            return value
    return "en"


def _choose_language(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.find_root().meta[LANG_KEY] = value


#: ``--lang fi|sv|en``: on ``devsmtp`` itself and on each of its commands.
lang_option = click.option(
    "--lang", type=click.Choice(LANGUAGES), default=None, expose_value=False,
    is_eager=True, callback=_choose_language,
    help="Language of messages (default: DEVSMTP_LANG, else LANG, else en).")


def say(msgid: str, /, **params: object) -> str:
    """``msgid`` (marked with ``N_``) in the chosen language, ``params`` filled in."""
    from ..catalog import translate  # at call time: the catalog loads Babel

    try:
        return translate(msgid, lang()) % params
    except (KeyError, ValueError, TypeError):  # a slip the catalog gate did not see
        return msgid % params


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
    return say(N_("HTTP %(status)s from %(url)s: %(text)s"), status=response.status_code,
               url=response.request.url, text=text)


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
            hint = say(N_("no %(file)s; is `devsmtp serve --data %(data)s` running?"),
                       file=ports, data=obj["data"])
            fail(ServerUnreachable(hint))
    return Api(str(url), obj.get("password"))


def _nearby(default: Path) -> Path:
    """Without ``--data``, a running server one hidden directory down, such as
    the demo's ``.demo/devsmtp`` (a running server has ``ports.json``)."""
    found = sorted(Path(".").glob(f".*/devsmtp/{PORTS_FILE}"))
    if len(found) == 1:
        click.echo(say(N_("devsmtp: using the server of --data %(data)s"),
                       data=found[0].parent), err=True)
        return found[0]
    if found:
        options = ", ".join(f"--data {path.parent}" for path in found)
        fail(ServerUnreachable(say(N_("several servers are running; choose one: %(options)s"),
                                   options=options)))
    return default


def api_options(fn: Any) -> Any:
    """``--api``, ``--data``, ``--ui-password`` and ``--lang`` for every client command."""

    def store(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        ctx.ensure_object(dict)[param.name or ""] = value
        return value

    fn = click.option("--api", envvar="DEVSMTP_API", expose_value=False, callback=store,
                      help="API URL (default: from DATA/ports.json).")(fn)
    fn = click.option("--data", envvar="DEVSMTP_DATA", default=DEFAULT_DATA, expose_value=False,
                      callback=store, help="Data directory of the running server.")(fn)
    fn = click.option("--ui-password", "password", envvar="DEVSMTP_UI_PASSWORD",
                      expose_value=False, callback=store)(fn)
    return click.pass_context(lang_option(fn))


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON (non-ASCII kept)."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))
