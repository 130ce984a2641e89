"""One stored message in depth, as the API answers it: detail, bodies, parts."""

from __future__ import annotations

from dataclasses import asdict

from ..errors import PartNotFound
from ..mail import ParsedMail
from ..store import Store

__all__ = ["message_body", "message_detail", "message_part"]


def message_detail(store: Store, id: int) -> dict[str, object]:
    """Summary, headers (decoded, in order), text, HTML, links, parts, envelope."""
    message, raw = store.load(id)
    summary = message.summary
    mail = ParsedMail(raw, summary=summary)
    return {
        **message.to_dict(),
        "header_to": summary.to,
        "cc": summary.cc,
        "headers": [[name, value] for name, value in mail.headers],
        "text": mail.text,
        "html": mail.html,
        "links": [asdict(link) for link in summary.links],
        "parts": [asdict(part) for part in summary.parts],
        "defects": summary.defects,
        "envelope": message.envelope.to_dict(),
    }


def message_body(store: Store, id: int, kind: str) -> str:
    """The decoded ``text`` or ``html`` body, or PartNotFound."""
    message, raw = store.load(id)
    mail = ParsedMail(raw, summary=message.summary)
    content = mail.text if kind == "text" else mail.html
    if content is None:
        raise PartNotFound(message.id, kind)
    return content


def message_part(store: Store, id: int, index: int) -> tuple[str, bytes, str | None]:
    """``(content type, decoded bytes, file name)`` of leaf part ``index``, or PartNotFound."""
    _, raw = store.load(id)
    found = ParsedMail(raw).part(index)
    if found is None:
        raise PartNotFound(id, index)
    return found
