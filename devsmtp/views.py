"""Read one stored message in depth: headers, bodies, parts (for API and web)."""

from __future__ import annotations

from dataclasses import asdict
from email.message import Message

from .errors import MessageNotFound, PartNotFound
from .parse import body_text, decode_header_value, leaf_parts, parse_bytes
from .records import StoredMessage
from .store import Store

__all__ = ["bodies", "load", "message_detail", "message_part"]


def load(store: Store, id: int) -> tuple[StoredMessage, bytes]:
    """The summary and the exact bytes of message ``id``, or MessageNotFound."""
    message = store.get(id)
    raw = store.raw(id) if message is not None else None
    if message is None or raw is None:
        raise MessageNotFound(id)
    return message, raw


def _is_attachment(part: Message) -> bool:
    disposition = str(part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    return disposition == "attachment" or bool(part.get_filename())


def bodies(msg: Message) -> tuple[str | None, str | None]:
    """The first inline text/plain and text/html bodies, decoded."""
    text = html = None
    for part in leaf_parts(msg):
        ctype = part.get_content_type()
        if ctype not in ("text/plain", "text/html") or _is_attachment(part):
            continue
        if ctype == "text/plain" and text is None:
            text = body_text(part)
        elif ctype == "text/html" and html is None:
            html = body_text(part)
    return text, html


def message_detail(store: Store, id: int) -> dict[str, object]:
    """Summary, headers (decoded, in order), text, HTML, links, parts, envelope."""
    message, raw = load(store, id)
    msg = parse_bytes(raw)
    text, html = bodies(msg)
    summary = message.summary
    return {
        **message.to_dict(),
        "header_to": summary.to,
        "cc": summary.cc,
        "headers": [[name, decode_header_value(value)] for name, value in msg.raw_items()],
        "text": text,
        "html": html,
        "links": [asdict(link) for link in summary.links],
        "parts": [asdict(part) for part in summary.parts],
        "defects": summary.defects,
        "envelope": message.envelope.to_dict(),
    }


def message_part(store: Store, id: int, index: int) -> tuple[str, bytes, str | None]:
    """``(content type, decoded bytes, filename)`` of leaf part ``index``."""
    _, raw = load(store, id)
    parts = leaf_parts(parse_bytes(raw))
    if not 0 <= index < len(parts):
        raise PartNotFound(id, index)
    part = parts[index]
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    ctype = part.get_content_type()
    charset = part.get_content_charset()
    if charset and part.get_content_maintype() == "text":
        ctype = f"{ctype}; charset={charset}"
    filename = part.get_filename()
    return ctype, data, decode_header_value(filename) if filename else None
