"""``devsmtp serve --log-level --log-format text|json``: where its records go.

devsmtp stands alone (it never imports invitations), so it sets its logging up
here. The loggers are ``devsmtp`` (server), ``devsmtp.smtp`` (sessions, faults,
stored messages), ``devsmtp.store`` and ``devsmtp.release``. A text line is
``time LEVEL logger: message  key=value ...``; JSON is one object per line with the
same fields. Envelope addresses appear only at DEBUG.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

__all__ = ["FORMATS", "LEVELS", "configure"]

LEVELS = ("debug", "info", "warning", "error")
FORMATS = ("text", "json")
_PLAIN = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class _Lines(logging.Formatter):
    def __init__(self, as_json: bool) -> None:
        super().__init__()
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        when = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        stamp = f"{when}.{int(record.msecs):03d}Z"
        extra = {k: v for k, v in vars(record).items() if k not in _PLAIN and v is not None}
        trace = self.formatException(record.exc_info) if record.exc_info else None
        if self.as_json:
            fields: dict[str, Any] = {"time": stamp, "level": record.levelname,
                                      "logger": record.name, "message": record.getMessage(),
                                      **extra}
            if trace:
                fields["exception"] = trace
            return json.dumps(fields, ensure_ascii=False, default=str)
        pairs = "".join(f" {k}={v}" for k, v in extra.items())
        head = f"{stamp} {record.levelname} {record.name}: {record.getMessage()}"
        return head + (f" {pairs}" if pairs else "") + (f"\n{trace}" if trace else "")


def configure(level: str, fmt: str) -> None:
    """devsmtp's records at ``level`` (others at warning) to stderr in ``fmt``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Lines(fmt == "json"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(max(logging.WARNING, logging.getLevelName(level.upper())))
    logging.getLogger("devsmtp").setLevel(level.upper())
