"""Hand-built messages for the harness's unit tests (no SMTP, no templates)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from itsdangerous import URLSafeTimedSerializer

SUBJECT = "Kutsu käyttäjäksi / Inbjudan att bli användare / User invitation"
SIGNED_AT = datetime(2025, 3, 7, 13, 5, tzinfo=UTC)

TEXTS = {
    "fi": ("Tämä on kutsu rekisteröityä Postin asiointiportaalin käyttäjäksi.",
           "Käyttäjärekisteröinti tehdään osoitteessa", "Voimassa 14.3.2025 klo 15.05 asti."),
    "sv": ("Det här är en inbjudan att registrera dig som användare.",
           "Användarregistreringen görs på adressen", "Giltig till 14.3.2025 kl. 15:05."),
    "en": ("This is an invitation to register as a user of the portal.",
           "User registration is done at", "Valid until 14 March 2025 at 15:05."),
}


def make_token(invitation_id: str = "inv-1", when: datetime = SIGNED_AT) -> str:
    serializer = URLSafeTimedSerializer(b"k" * 32, salt="test")
    signer = serializer.make_signer()
    payload = serializer.dump_payload([invitation_id, "nonce"])
    signer.get_timestamp = lambda: int(when.timestamp())  # type: ignore[method-assign]
    return signer.sign(payload).decode()


def invitation_mail(
    langs: tuple[str, ...] = ("fi", "sv", "en"),
    *,
    link: str | None = None,
    texts: dict[str, tuple[str, str, str]] | None = None,
    headers: dict[str, str] | None = None,
    times: bool = False,
) -> EmailMessage:
    link = link or f"http://localhost/register?token={make_token()}"
    texts = texts or TEXTS
    msg = EmailMessage()
    msg["From"] = "Posti <noreply@posti.fi>"
    msg["To"] = "Alice <alice@example.test>"
    msg["Subject"] = SUBJECT
    msg["Date"] = format_datetime(SIGNED_AT)
    msg["Message-ID"] = "<abc@posti.fi>"
    msg["Auto-Submitted"] = "auto-generated"
    for name, value in (headers or {}).items():
        del msg[name]
        msg[name] = value
    plain = "\n\n".join(f"{t[0]}\n{t[1]}\n{link}\n{t[2]}" for t in (texts[x] for x in langs))
    msg.set_content(plain)
    sections = "".join(
        f'<div lang="{lang}"><p>{texts[lang][0]}</p><p>{texts[lang][1]} '
        f'<a href="{link.replace("&", "&amp;")}">{link}</a></p>'
        + (f'<p><time datetime="2025-03-14T13:05:00Z">{texts[lang][2]}</time></p>' if times
           else f"<p>{texts[lang][2]}</p>")
        + "</div>"
        for lang in langs
    )
    msg.add_alternative(
        f'<!doctype html><html lang="{langs[0]}"><head><style>p{{color:red}}</style></head>'
        f'<body><table role="presentation"><tr><td>{sections}</td></tr></table></body></html>',
        subtype="html",
    )
    return msg
