"""Turn rendered subject, text and HTML into the bytes of one message.

``multipart/alternative`` with the text part first and the HTML part second
(clients show the last part they understand), UTF-8: the text part
quoted-printable (readable raw), the HTML part base64. Headers follow RFC 5322 with only non-ASCII
words RFC 2047-encoded; SMTPUTF8 is used only when an address's local part needs it
(an internationalised domain goes out as its A-label).
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart

from invitations.models import OutgoingMessage
from invitations.rendering.headers import (
    POLICY,
    POLICY_UTF8,
    address_header,
    ascii_domain,
    check_header_value,
    constant_header,
    parse_sender,
)

# "=_" never occurs in quoted-printable (an "=" is always followed by hex digits
# or a line break) nor in base64, so this boundary cannot collide with a body.
BOUNDARY = "=_invitations_alternative_="


_LINE_END = re.compile(r"\r\n|\r|\n")


def as_bytes(msg: EmailMessage) -> bytes:
    """Serialise ``msg`` exactly as ``msg.as_bytes()`` would, several times faster.

    Handles the one shape this module builds (a multipart of text parts with
    string payloads and no preamble or epilogue); a test compares the result
    byte for byte with the standard library's ``BytesGenerator``.
    """
    policy = msg.policy
    nl = policy.linesep.encode("ascii")
    out = [policy.fold_binary(name, value) for name, value in msg.items()]
    out.append(nl)
    boundary = msg.get_boundary()
    assert boundary and msg.preamble is None and msg.epilogue is None
    delimiter = b"--" + boundary.encode("ascii")
    for index, part in enumerate(msg.iter_parts()):
        out.append(delimiter + nl if index == 0 else nl + delimiter + nl)
        out.extend(policy.fold_binary(name, value) for name, value in part.items())
        out.append(nl)
        payload = part.get_payload()
        assert isinstance(payload, str)
        # Same as the generator's line-ending normalisation; str.replace is faster.
        if "\r" in payload:
            payload = _LINE_END.sub(policy.linesep, payload)
        else:
            payload = payload.replace("\n", policy.linesep)
        out.append(payload.encode("ascii"))
    out.append(nl + delimiter + b"--" + nl)
    return b"".join(out)


def _quoted_printable(text: str) -> str:
    # binascii's encoder is C; email.quoprimime's is pure Python and ten times slower.
    return binascii.b2a_qp(text.encode("utf-8"), istext=True).decode("ascii")


def _base64(text: str) -> str:
    encoded = binascii.b2a_base64(text.encode("utf-8"), newline=False).decode("ascii")
    # 76-character lines; slicing through map() keeps the loop in C (large HTML parts).
    if not encoded:
        return ""
    size = len(encoded)
    lines = map(encoded.__getitem__, map(slice, range(0, size, 76), range(76, size + 76, 76)))
    return "\n".join(lines) + "\n"


def _part(subtype: str, body: str, utf8: bool) -> MIMEPart:
    # Text: quoted-printable, readable in a raw view. HTML: base64, because
    # every inline style="" would turn into =3D and cost twice the time.
    policy = POLICY_UTF8 if utf8 else POLICY
    part = MIMEPart(policy)
    content_type = f'text/{subtype}; charset="utf-8"'
    encoding = "quoted-printable" if subtype == "plain" else "base64"
    part["Content-Type"] = constant_header(policy, "Content-Type", content_type)
    part["Content-Transfer-Encoding"] = constant_header(
        policy, "Content-Transfer-Encoding", encoding
    )
    part.set_payload(_quoted_printable(body) if subtype == "plain" else _base64(body))
    return part


def build_message(
    *,
    sender: str,
    sender_name: str,
    to_email: str,
    to_name: str | None,
    subject: str,
    text: str,
    html: str,
    languages: Sequence[str],
    message_id: str,
    sent_at: datetime,
) -> OutgoingMessage:
    """Compose the message and return it with its envelope, ready for a transport."""
    from_address = parse_sender(sender, sender_name)
    if not from_address.domain.isascii():
        from_address = Address(from_address.display_name,
                               addr_spec=ascii_domain(from_address.addr_spec))
    check_header_value("email", to_email)
    to_header = address_header("email", "To", ascii_domain(to_email), to_name,
                               name_field="to_name")
    to_address: Address = to_header.addresses[0]
    check_header_value("message_id", message_id)
    if not (message_id.startswith("<") and message_id.endswith(">") and "@" in message_id):
        raise ValueError(f"Message-ID must look like <local@domain>, got {message_id!r}")
    utf8 = not (from_address.addr_spec.isascii() and to_address.addr_spec.isascii())
    policy = POLICY_UTF8 if utf8 else POLICY

    msg = EmailMessage(policy)
    msg["From"] = constant_header(policy, "From", str(from_address))
    msg["To"] = to_header
    msg["Subject"] = constant_header(policy, "Subject", subject)
    msg["Date"] = sent_at
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = constant_header(policy, "Auto-Submitted", "auto-generated")
    # Exchange ignores Auto-Submitted: without this, out-of-office replies come back.
    msg["X-Auto-Response-Suppress"] = constant_header(policy, "X-Auto-Response-Suppress", "All")
    msg["Content-Language"] = constant_header(policy, "Content-Language", ", ".join(languages))
    msg["MIME-Version"] = constant_header(policy, "MIME-Version", "1.0")
    msg["Content-Type"] = constant_header(
        policy, "Content-Type", f'multipart/alternative; boundary="{BOUNDARY}"'
    )
    msg.set_payload([_part("plain", text, utf8), _part("html", html, utf8)])
    return OutgoingMessage(
        message_id=message_id,
        sender=from_address.addr_spec,
        recipients=(to_address.addr_spec,),
        data=as_bytes(msg),
        smtputf8=utf8,
    )
