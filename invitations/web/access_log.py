"""Keep invitation tokens out of access logs.

The link in the mail is ``{base_url}/register?token=...`` (and ``/confirm-email?token=...``
for a changed address). A server that logs request lines in full keeps working links in
its log files, which are read, shipped and kept far more widely than the store.
:class:`RedactTokens` rewrites the request line of each access-log record to
``/register?token=[redacted]`` before any handler formats or ships it. The project's own
servers install it; for an app mounted elsewhere, add it to the server's access logger::

    import logging
    from invitations.web import RedactTokens

    logging.getLogger("uvicorn.access").addFilter(RedactTokens())

or in a ``logging.config.dictConfig`` (uvicorn's ``--log-config``)::

    "filters": {"redact_tokens": {"()": "invitations.web.RedactTokens"}},
    "loggers": {"uvicorn.access": {"filters": ["redact_tokens"], ...}},

or run uvicorn with ``--no-access-log``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote_plus

__all__ = ["REDACTED", "SECRET_PARAMETERS", "RedactTokens", "redact_access_log", "redact_query"]

#: What a secret value becomes.
REDACTED = "[redacted]"
#: Query parameters whose values are secrets: the links in the mail carry ``token``.
SECRET_PARAMETERS = frozenset({"token"})

# One ``key=value`` pair of a query: after ``?``, ``&`` or ``;``, up to the next
# separator, fragment, white space or quote (a log line quotes its request line).
_PAIR = re.compile(r"""(?P<lead>[?&;])(?P<key>[^=&;#\s"']+)=(?P<value>[^&;#\s"']*)""")


def redact_query(text: str, keys: Iterable[str] = SECRET_PARAMETERS) -> str:
    """``text`` with the value of every secret query parameter replaced by ``[redacted]``.

    Keys compare case-insensitively and after percent-decoding, so ``%74oken=`` and
    ``Token=`` are caught too (redacting too much in a log is harmless).
    """
    secret = {key.lower() for key in keys}

    def replace(match: re.Match[str]) -> str:
        key = match["key"]
        if unquote_plus(key).strip().lower() not in secret:
            return match.group(0)
        return f"{match['lead']}{key}={REDACTED}"

    return _PAIR.sub(replace, text) if "=" in text else text


class RedactTokens(logging.Filter):
    """A :class:`logging.Filter` that redacts secret query parameters in a record.

    It rewrites the record's string arguments (uvicorn's access logger passes the
    request target as one of them) and its message, and keeps every record. Add it to
    the logger (``uvicorn.access``), not to one handler, so that every handler and
    every formatter sees only the redacted line.
    """

    def __init__(self, name: str = "", *, keys: Iterable[str] = SECRET_PARAMETERS) -> None:
        super().__init__(name)
        self.keys = frozenset(keys)

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_query(record.msg, self.keys)
        if isinstance(record.args, tuple):
            record.args = tuple(self._redact(arg) for arg in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {key: self._redact(arg) for key, arg in record.args.items()}
        return True

    def _redact(self, value: object) -> object:
        return redact_query(value, self.keys) if isinstance(value, str) else value


def redact_access_log(logger_name: str = "uvicorn.access") -> RedactTokens:
    """Install :class:`RedactTokens` on ``logger_name`` once; return the installed filter."""
    logger = logging.getLogger(logger_name)
    for existing in logger.filters:
        if isinstance(existing, RedactTokens):
            return existing
    redactor = RedactTokens()
    logger.addFilter(redactor)
    return redactor
