"""What every ``invitations`` command shares: the ``--json`` and ``--lang``
options, the language of messages, printing results and errors, and the
service built from the environment.

Errors print their message in the chosen language and exit 1; ``--json``
prints the error's ``to_dict()`` (with its stable ``code``) instead.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

import click
from click.core import ParameterSource

from invitations.config import service_from_env
from invitations.errors import InvitationError, RegistrationRejected
from invitations.i18n.formatting import Text
from invitations.i18n.languages import LANGUAGES
from invitations.i18n.texts import T_
from invitations.models import Invitation
from invitations.service import InvitationService

__all__ = [
    "actor_options",
    "bulk_options",
    "emit",
    "fail",
    "json_option",
    "labelled",
    "lang_option",
    "language",
    "read_token",
    "service_from_environment",
    "show_invitation",
    "token_options",
]

json_option = click.option("--json", "as_json", is_flag=True,
                            help="Print machine-readable JSON instead of text.")
lang_option = click.option(
    "--lang", type=click.Choice(LANGUAGES), default=None,
    help="Language of messages (default: INVITATIONS_LANG, else LANG, else en).",
)


def language(lang: str | None) -> str:
    """The language of messages: ``--lang`` (the command's, else the group's), else the
    environment (INVITATIONS_LANG, the locale variables), else English."""
    if lang:
        return lang
    context = click.get_current_context(silent=True)
    chosen = context.find_root().meta.get(LANG_KEY) if context is not None else None
    if isinstance(chosen, str):
        return chosen
    for variable in ("INVITATIONS_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        prefix = os.environ.get(variable, "")[:2].lower()
        if prefix in LANGUAGES:
            return prefix
    return "en"


#: Where the group's ``--lang`` keeps its choice (``click.Context.meta`` of the root).
LANG_KEY = "invitations.lang"


def emit(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def fail(error: InvitationError, as_json: bool, lang: str) -> NoReturn:
    if as_json:
        emit({"ok": False, **error.to_dict()})
    else:
        click.echo(Text(T_("error [%(code)s]: %(message)s"), code=error.code,
                        message=error.message(lang)).message(lang), err=True)
        if isinstance(error, RegistrationRejected):
            for problem in error.errors:
                click.echo(f"  {problem.field}: {problem.message(lang)}", err=True)
    sys.exit(1)


@contextmanager
def service_from_environment(as_json: bool, lang: str) -> Iterator[InvitationService]:
    """A service from the environment; any toolkit error ends the command cleanly."""
    try:
        with service_from_env() as service:
            yield service
    except InvitationError as error:
        fail(error, as_json, lang)


def labelled(rows: Sequence[tuple[str, str]], lang: str, *,
             also: Iterable[str] = ()) -> list[str]:
    """Lines ``label: value``: each label (a msgid of the ``errors`` catalog) worded in
    ``lang``, the values in one column as wide as the longest label needs. ``also`` are
    the labels of rows that may be absent, so the column does not move without them."""
    words = {label: Text(label).message(lang) + ":" for label in
             (*(label for label, _ in rows), *also)}
    width = max(len(word) for word in words.values()) + 1
    return [f"{words[label]:<{width}}{value}" for label, value in rows]


_BOUNCED = T_("bounced")
_REGISTERED = T_("registered")
_LINK = T_("link")


def show_invitation(invitation: Invitation, as_json: bool, lang: str = "en") -> None:
    """One invitation, as JSON or as labelled lines in ``lang``."""
    if as_json:
        emit({"ok": True, "invitation": invitation.to_dict()})
        return
    rows = [
        (T_("id"), invitation.id),
        (T_("email"), invitation.email),
        (T_("company"), f"{invitation.company.name} ({invitation.company.business_id})"),
        (T_("role"), str(invitation.role)),
        (T_("status"), str(invitation.status)),
        (T_("expires at"), invitation.expires_at.isoformat()),
        (T_("delivery"), f"{invitation.delivery_state or '-'}"
         + (f" ({invitation.last_error})" if invitation.last_error else "")),
    ]
    if invitation.bounced_at is not None:
        rows.append((_BOUNCED, Text(T_("%(status)s %(reason)s at %(when)s"),
                                    status=invitation.bounce_status or "-",
                                    reason=invitation.bounce_reason or "",
                                    when=invitation.bounced_at.isoformat()).message(lang)))
    if invitation.registered_email:
        rows.append((_REGISTERED, Text(T_("%(email)s as %(username)s"),
                                       email=invitation.registered_email,
                                       username=invitation.registered_username).message(lang)))
    if invitation.link:
        rows.append((_LINK, invitation.link))
    click.echo("\n".join(labelled(rows, lang, also=(_BOUNCED, _REGISTERED, _LINK))))


def bulk_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--skip-invalid``, ``--workers`` and ``--rate``: shared by ``send --csv`` and
    ``send-bulk``."""
    func = click.option("--rate", type=click.FloatRange(min=0, min_open=True), default=None,
                        help="At most this many messages per second.")(func)
    func = click.option("--workers", type=click.IntRange(1, 64), default=4, show_default=True,
                        help="Parallel SMTP connections.")(func)
    return click.option("--skip-invalid", is_flag=True,
                        help="Send the valid rows even if some are bad.")(func)


#: Where a token may come from instead of the command line, which every local user can
#: read in the process list (``ps``, ``/proc/<pid>/cmdline``).
TOKEN_VARIABLE = "INVITATIONS_TOKEN"


def token_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``[TOKEN]`` (``-`` reads it from standard input; default ``INVITATIONS_TOKEN``)
    and ``--token-file FILE``: read them with :func:`read_token`."""
    func = click.option(
        "--token-file", type=click.Path(dir_okay=False, allow_dash=True), default=None,
        help=f"Read the token from this file ('-': standard input) instead of TOKEN or "
             f"{TOKEN_VARIABLE}.")(func)
    return click.argument("token", required=False, envvar=TOKEN_VARIABLE)(func)


def read_token(token: str | None, token_file: str | None, lang: str) -> str:
    """The token from ``--token-file``, standard input (``-``, its first line), the
    ``INVITATIONS_TOKEN`` variable or (with a warning) the command line."""
    context = click.get_current_context()
    from_argv = context.get_parameter_source("token") is ParameterSource.COMMANDLINE
    if token_file is not None and from_argv:
        raise click.UsageError(Text(T_(
            "give the token either as TOKEN or with --token-file, not both")).message(lang))
    if token_file is not None:
        token = _first_line(token_file)
    elif token == "-":
        token = sys.stdin.readline()
    elif token is not None and from_argv:
        click.echo(Text(T_(
            "note: a token on the command line is visible to every local user in the process "
            "list; pass - and write it to standard input, or set %(variable)s, or use "
            "--token-file"), variable=TOKEN_VARIABLE).message(lang), err=True)
    token = (token or "").strip()
    if not token:
        raise click.UsageError(Text(T_(
            "no token given: write it to standard input with TOKEN -, or set %(variable)s, "
            "or use --token-file FILE"), variable=TOKEN_VARIABLE).message(lang))
    return token


def _first_line(path: str) -> str:
    # Read here, not through click.File: "-" must be the same sys.stdin that the
    # password is read from afterwards, without a second buffer reading ahead.
    if path == "-":
        return sys.stdin.readline()
    try:
        with open(path, encoding="utf-8") as file:
            return file.readline()
    except (OSError, UnicodeDecodeError) as exc:
        raise click.FileError(path, hint=str(getattr(exc, "strerror", None) or exc)) from None


def actor_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--by-company-id", default=None,
                        help="The actor's company business id (main users).")(func)
    func = click.option("--by-role", type=click.Choice(["main_user", "operator"]),
                        default="main_user", show_default=True)(func)
    return click.option("--by", "by_id", required=True,
                        help="Who acts: id or e-mail of a main user or operator.")(func)
