"""Logging for the long-running commands: ``--log-level`` and ``--log-format text|json``.

The one place the ``invitations`` command sets logging up (the library itself only
logs, to loggers named by room: ``invitations.service``, ``invitations.delivery``,
``invitations.store``, ``invitations.transports.smtp``, ``invitations.web``,
``invitations.events``). Records go to stderr:

- ``text``: ``2026-12-05T07:12:03.120Z INFO invitations.delivery: message  key=value ...``
  (the structured fields of ``extra`` after the message);
- ``json``: one object per line: ``time``, ``level``, ``logger``, ``message``, the
  ``extra`` fields as they are, and ``exception`` with the traceback if any.

A formatter of our own (thirty lines) rather than a dependency: the JSON shape is
small and fixed, and the text form needs the same field extraction.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO, TypeVar

import click

__all__ = ["FORMATS", "LEVELS", "JsonFormatter", "TextFormatter", "log_options",
           "setup_logging"]

LEVELS = ("debug", "info", "warning", "error")
#: The loggers ``--log-level`` applies to (the demo runs devsmtp in-process).
OURS = ("invitations", "devsmtp")
FORMATS = ("text", "json")
#: The attributes every LogRecord has; anything else came in through ``extra``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName"}

F = TypeVar("F", bound=Callable[..., Any])


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    """The ``extra`` fields of ``record`` (``None`` values left out)."""
    return {k: v for k, v in vars(record).items()
            if k not in _STANDARD and not k.startswith("_") and v is not None}


def _time(record: logging.LogRecord) -> str:
    stamp = datetime.fromtimestamp(record.created, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message  key=value ...``, then the traceback, if any."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_time(record)} {record.levelname} {record.name}: {record.getMessage()}"
        extra = " ".join(f"{k}={v}" for k, v in fields_of(record).items())
        if extra:
            line = f"{line}  {extra}"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {"time": _time(record), "level": record.levelname,
                                "logger": record.name, "message": record.getMessage()}
        for key, value in fields_of(record).items():
            data.setdefault(key, value)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class _Stderr(logging.StreamHandler[TextIO]):
    """A handler on whatever ``sys.stderr`` is when a record is written (a test
    runner or a daemon wrapper may replace it after set-up)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        """Ignored: the stream is always the current ``sys.stderr``."""


def setup_logging(level: str = "info", fmt: str = "text", stream: TextIO | None = None
                  ) -> logging.Handler:
    """Send our records at ``level`` and above (other libraries' at warning and above)
    to ``stream`` (stderr) in ``fmt``; replaces the handler an earlier call installed.
    Returns the handler."""
    if level not in LEVELS or fmt not in FORMATS:
        raise ValueError(f"log level {level!r} / format {fmt!r}: use {LEVELS} / {FORMATS}")
    handler: logging.StreamHandler[TextIO] = (
        logging.StreamHandler(stream) if stream is not None else _Stderr())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.set_name("invitations.cli")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "invitations.cli"]:
        root.removeHandler(old)
    root.addHandler(handler)
    # Our loggers at the level asked for; other libraries' (asyncio, aiosmtpd, psycopg,
    # httpx) at warning or above: their debug output is theirs, not ours to promise.
    chosen = logging.getLevelName(level.upper())
    previous = {name: logging.getLogger(name).level for name in ("", *OURS)}
    root.setLevel(max(chosen, logging.WARNING))
    for name in OURS:
        logging.getLogger(name).setLevel(chosen)
    logging.captureWarnings(True)
    # Inside a Click command, the set-up ends with the command: a later command run
    # in the same process (a test runner, a host embedding the CLI) starts clean.
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(lambda: _restore(handler, previous))
    return handler


def _restore(handler: logging.Handler, levels: dict[str, int]) -> None:
    """Undo :func:`setup_logging`: remove ``handler``, put the levels back."""
    logging.getLogger().removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    logging.captureWarnings(False)


def log_options(default_level: str = "info") -> Callable[[F], F]:
    """``--log-level`` and ``--log-format``; the command calls :func:`setup_logging`."""

    def decorate(command: F) -> F:
        return _options(command, default_level)

    return decorate


def _options(command: F, default_level: str) -> F:
    command = click.option(
        "--log-format", type=click.Choice(FORMATS), default="text", show_default=True,
        envvar="INVITATIONS_LOG_FORMAT",
        help="Log records as text lines or one JSON object per line (stderr).")(command)
    return click.option(
        "--log-level", type=click.Choice(LEVELS, case_sensitive=False),
        default=default_level,
        show_default=True, envvar="INVITATIONS_LOG_LEVEL",
        help="Least severe log records shown (debug also shows e-mail addresses).")(command)
