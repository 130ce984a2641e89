"""The DSN fixtures of ``tests/bounces/dsn``, filled in for one test.

Written for these tests from RFC 3464's structure and the published shapes of
Postfix, Exim, qmail, Microsoft 365/Exchange and Gmail bounces. Placeholders:
``@@RETURN_PATH@@`` (where the bounce was sent: the VERP address), ``@@RCPT@@``
(the address that bounced), ``@@RCPT_LOCAL@@`` and ``@@MESSAGE_ID@@`` (of the
returned mail).
"""

from __future__ import annotations

from pathlib import Path

DSN_DIR = Path(__file__).parent / "dsn"


def dsn(name: str, *, return_path: str = "bounces@example.org",
        recipient: str = "maija@example.net", message_id: str = "<unknown@posti.fi>") -> bytes:
    """The fixture ``name`` (without ``.eml``) with its placeholders filled in, CRLF ends."""
    text = (DSN_DIR / f"{name}.eml").read_text(encoding="utf-8")
    text = (text.replace("@@RETURN_PATH@@", return_path).replace("@@RCPT@@", recipient)
            .replace("@@RCPT_LOCAL@@", recipient.partition("@")[0])
            .replace("@@MESSAGE_ID@@", message_id))
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
