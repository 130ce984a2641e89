"""What the message page shows, built from one stored message.

Parsing is shared with the API and the pytest plugin: one
:class:`~devsmtp.mail.ParsedMail` per page (with the store's arrival summary)
gives the headers, bodies, links per part and language, and the attachments,
never raising on broken mail.
Nothing here renders mail HTML: the preview route serves it to a sandboxed
iframe under a strict CSP.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..catalog import N_
from ..envelope import iso_time
from ..mail import Link, ParsedMail
from ..store import StoredMessage

#: The raw source tab shows at most this much; the .eml download has it all.
RAW_LIMIT = 2 * 1024 * 1024
#: Inline (cid:) images larger than this stay unresolved in the preview.
CID_LIMIT = 5 * 1024 * 1024

_REMOTE_IMAGE = re.compile(
    r"""<img\b[^>]*?\ssrc\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//""",
    re.IGNORECASE,
)
_CID = re.compile(r"""cid:([^"'\s)>]+)""", re.IGNORECASE)
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
# Links open outside the sandbox, in a new tab, without a referrer.
PREVIEW_PREFIX = '<base target="_blank"><meta name="referrer" content="no-referrer">'


@dataclass(frozen=True)
class Loaded:
    """One captured message as the store hands it to the pages, parsed once."""

    record: StoredMessage
    mail: ParsedMail

    @property
    def raw(self) -> bytes:
        return self.mail.raw

    @property
    def html(self) -> str | None:
        return self.mail.html


@dataclass(frozen=True)
class AttachmentView:
    index: int
    name: str
    content_type: str
    size: int
    url: str


@dataclass(frozen=True)
class LinkGroup:
    part: str
    lang: str
    title: str
    links: list[Link] = field(default_factory=list)


@dataclass(frozen=True)
class EnvelopeView:
    """The envelope tab: MAIL FROM, RCPT TO and the session's other facts."""

    mail_from: str
    rcpt_to: tuple[str, ...]
    extra: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class MessageView:
    """The message page's model."""

    id: str
    subject: str
    sender: str
    recipients: tuple[str, ...]
    received_at: datetime | None
    size: int
    headers: list[tuple[str, str]]
    text: str | None
    has_html: bool
    raw_text: str
    raw_truncated: bool
    envelope: EnvelopeView
    attachments: list[AttachmentView]
    link_groups: list[LinkGroup]
    remote_images: int
    problem: bool


def link_groups(links: list[Link], gettext: Callable[[str], str]) -> list[LinkGroup]:
    """Links grouped by part (``html``/``text``) and language section, in order."""
    groups: dict[tuple[str, str], LinkGroup] = {}
    for link in links:
        key = (link.part, link.lang or "")
        if key not in groups:
            title = gettext(N_("HTML part") if link.part == "html" else N_("Text part"))
            groups[key] = LinkGroup(key[0], key[1], f"{title} · {key[1]}" if key[1] else title)
        groups[key].links.append(link)
    return list(groups.values())


def envelope_facts(record: StoredMessage,
                   gettext: Callable[[str], str]) -> tuple[tuple[str, str], ...]:
    """The SMTP session's facts beside MAIL FROM / RCPT TO (protocol words stay as they are)."""
    envelope = record.envelope
    yes, no = gettext(N_("yes")), gettext(N_("no"))
    facts = [
        (gettext(N_("Received")), iso_time(envelope.received_at)),
        (gettext(N_("Client")), envelope.peer),
        ("HELO/EHLO", envelope.helo or ""),
        ("AUTH", envelope.auth_user or ""),
        ("TLS", yes if envelope.tls else no),
        ("SMTPUTF8", yes if envelope.smtputf8 else no),
        (gettext(N_("MAIL parameters")), " ".join(envelope.mail_options)),
    ]
    facts += [(gettext(N_("Session log")), line) for line in envelope.session_log]
    return tuple((label, value) for label, value in facts if value)


def build_view(
    loaded: Loaded,
    *,
    attachment_url: Callable[[int], str],
    gettext: Callable[[str], str],
) -> MessageView:
    record = loaded.record
    summary = record.summary
    raw = loaded.raw[:RAW_LIMIT]
    return MessageView(
        id=str(record.id),
        subject=summary.subject,
        sender=summary.sender or record.envelope.mail_from,
        recipients=record.envelope.rcpt_to,
        received_at=datetime.fromtimestamp(record.envelope.received_at, UTC),
        size=record.size,
        headers=loaded.mail.headers,
        text=loaded.mail.text,
        has_html=loaded.html is not None,
        raw_text=raw.decode("utf-8", "replace"),
        raw_truncated=len(loaded.raw) > RAW_LIMIT,
        envelope=EnvelopeView(record.envelope.mail_from, record.envelope.rcpt_to,
                          envelope_facts(record, gettext)),
        attachments=[
            AttachmentView(a.part, a.name, a.type, a.size, attachment_url(a.part))
            for a in summary.attachments
        ],
        link_groups=link_groups(summary.links, gettext),
        remote_images=len(_REMOTE_IMAGE.findall(loaded.html or "")),
        problem=summary.malformed,
    )


def _inline_images(mail: ParsedMail) -> dict[str, str]:
    images: dict[str, str] = {}
    for part in mail.parts:
        content_id = str(part.get("Content-ID") or "").strip().strip("<>")
        if not content_id or not part.get_content_type().startswith("image/"):
            continue
        data = part.get_payload(decode=True)
        if isinstance(data, bytes) and len(data) <= CID_LIMIT:
            encoded = base64.b64encode(data).decode("ascii")
            images[content_id] = f"data:{part.get_content_type()};base64,{encoded}"
    return images


def preview_html(html: str, mail: ParsedMail) -> str:
    """The mail's HTML for the sandboxed preview: cid: images inlined, links to new tabs."""
    if "cid:" in html.lower():
        images = _inline_images(mail)
        html = _CID.sub(lambda m: images.get(m.group(1), m.group(0)), html)
    head = _HEAD.search(html)
    if head:
        return html[: head.end()] + PREVIEW_PREFIX + html[head.end():]
    return PREVIEW_PREFIX + html
