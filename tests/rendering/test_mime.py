"""The message on the wire: MIME structure, headers, encodings, injection."""

from __future__ import annotations

import email
import re
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from invitations.errors import HeaderInjection, InvalidAddress, InvitationError
from invitations.rendering import (
    ConfirmationEmail,
    InvitationEmail,
    compose_confirmation,
    compose_invitation,
    headers,
    mime,
    renderer_for,
)
from invitations.rendering.folding import fold_words
from invitations.rendering.headers import POLICY, POLICY_UTF8

SUBJECT = "Kutsu käyttäjäksi / Inbjudan att bli användare / User invitation"


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def raw_header(data: bytes, name: str) -> str:
    """The header exactly as sent (folded lines joined)."""
    head = data.split(b"\r\n\r\n", 1)[0].decode("utf-8")
    pattern = rf"^{name}: ([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)"
    match = re.search(pattern, head, re.MULTILINE | re.IGNORECASE)
    assert match, f"no {name} header"
    return match.group(1)


def test_structure_and_round_trip(invitation: Callable[..., InvitationEmail]) -> None:
    context = invitation()
    outgoing = compose_invitation(context)
    rendered = renderer_for().render_invitation(context)
    message = parse(outgoing.data)

    assert message["Subject"] == SUBJECT
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert text["Content-Transfer-Encoding"] == "quoted-printable"
    assert html["Content-Transfer-Encoding"] == "base64"
    for part, expected in ((text, rendered.text), (html, rendered.html)):
        assert part.get_content_charset() == "utf-8"
        # SMTP sends CRLF; the rendered text uses LF.
        assert part.get_content().replace("\r\n", "\n") == expected
    assert b"\r\n" in outgoing.data and b"\n" not in outgoing.data.replace(b"\r\n", b"")
    assert all(len(line) <= 78 for line in outgoing.data.split(b"\r\n"))
    assert outgoing.data.isascii()


def test_headers(invitation: Callable[..., InvitationEmail]) -> None:
    outgoing = compose_invitation(invitation())
    message = parse(outgoing.data)
    assert message["From"] == "Posti <noreply@posti.fi>"
    assert message["To"] == "Matti Virtanen <matti.virtanen@example.com>"
    assert message["Date"] == "Fri, 07 Mar 2025 13:05:00 +0000"
    assert message["Message-ID"] == "<inv-1.1@posti.fi>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Content-Language"] == "fi, sv, en"
    assert message["MIME-Version"] == "1.0"
    assert outgoing.message_id == "<inv-1.1@posti.fi>"
    assert outgoing.sender == "noreply@posti.fi"
    assert outgoing.recipients == ("matti.virtanen@example.com",)
    assert outgoing.smtputf8 is False


def test_subject_encodes_only_non_ascii_words(invitation: Callable[..., InvitationEmail]) -> None:
    raw = raw_header(compose_invitation(invitation()).data, "Subject")
    assert re.sub(r"\r\n\s", " ", raw) == (
        "Kutsu =?utf-8?q?k=C3=A4ytt=C3=A4j=C3=A4ksi?= / Inbjudan att bli "
        "=?utf-8?q?anv=C3=A4ndare?= / User invitation"
    )


def test_content_language_follows_order(invitation: Callable[..., InvitationEmail]) -> None:
    message = parse(compose_invitation(invitation(languages=("sv", "en"))).data)
    assert message["Content-Language"] == "sv, en"
    assert message["Subject"] == "Inbjudan att bli användare / User invitation"


def test_non_ascii_display_names_are_rfc2047(invitation: Callable[..., InvitationEmail]) -> None:
    data = compose_invitation(
        invitation(sender="Posti Öy Äb <noreply@posti.fi>", to_name="Åsa Ström")
    ).data
    assert data.isascii()
    assert "=?utf-8?" in raw_header(data, "From")
    message = parse(data)
    assert message["From"].addresses[0].display_name == "Posti Öy Äb"
    assert message["To"].addresses[0].display_name == "Åsa Ström"


def test_sender_without_name_gets_the_theme_name(
    invitation: Callable[..., InvitationEmail],
) -> None:
    message = parse(compose_invitation(invitation(sender="noreply@posti.fi")).data)
    assert message["From"] == "Posti <noreply@posti.fi>"


def test_smtputf8_only_when_an_address_needs_it(
    invitation: Callable[..., InvitationEmail],
) -> None:
    ascii_only = compose_invitation(invitation(to_name="Pää Käyttäjä"))
    assert ascii_only.smtputf8 is False and ascii_only.data.isascii()

    outgoing = compose_invitation(invitation(to_email="pää.käyttäjä@esimerkki.fi"))
    assert outgoing.smtputf8 is True
    assert outgoing.recipients == ("pää.käyttäjä@esimerkki.fi",)
    # SMTPUTF8 headers are raw UTF-8 (RFC 6532), not encoded words.
    assert "To: Matti Virtanen <pää.käyttäjä@esimerkki.fi>\r\n".encode() in outgoing.data
    message = email.message_from_string(outgoing.data.decode("utf-8"), policy=policy.default)
    assert message["To"].addresses[0].addr_spec == "pää.käyttäjä@esimerkki.fi"
    assert message["Subject"] == SUBJECT
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]


@pytest.mark.parametrize(
    "changes",
    [
        {"to_name": "Matti\r\nBcc: x@evil.example"},
        {"to_name": "Matti\nBcc: x@evil.example"},
        {"to_name": "Matti\rBcc: x@evil.example"},
        {"to_name": "Matti\u2028Bcc: x@evil.example"},
        {"to_email": "matti@example.com\r\nBcc: x@evil.example"},
        {"sender": "Posti <noreply@posti.fi>\r\nBcc: x@evil.example"},
        {"message_id": "<a@posti.fi>\r\nBcc: x@evil.example"},
    ],
)
def test_line_breaks_in_header_values_are_refused(
    invitation: Callable[..., InvitationEmail], changes: dict[str, str]
) -> None:
    with pytest.raises(HeaderInjection) as caught:
        compose_invitation(invitation(**changes))
    error = caught.value
    assert isinstance(error, InvitationError)
    assert error.code == "header_injection"
    assert {lang: bool(error.message(lang)) for lang in ("fi", "sv", "en")} == {
        "fi": True, "sv": True, "en": True,
    }
    assert "rivinvaihto" in error.message("fi")


def test_malformed_addresses_are_refused(invitation: Callable[..., InvitationEmail]) -> None:
    with pytest.raises(InvalidAddress):
        compose_invitation(invitation(to_email="not an address"))
    with pytest.raises(InvalidAddress):
        compose_invitation(invitation(sender="a@posti.fi, b@posti.fi"))


def test_confirmation_mail(confirmation: Callable[..., ConfirmationEmail]) -> None:
    context = confirmation()
    message = parse(compose_confirmation(context).data)
    assert message["Subject"] == (
        "Vahvista sähköpostiosoitteesi / Bekräfta din e-postadress / Confirm your e-mail address"
    )
    assert message["To"] == "Matti Virtanen <matti.uusi@example.com>"
    text, html = (p.get_content() for p in message.iter_parts())
    # Each section links twice: the button and the address to copy.
    assert text.count(context.link) == 3 and html.count(f'href="{context.link}"') == 6
    flowed = " ".join(text.split())  # the text part is wrapped at 76 columns
    assert "Vahvistuslinkki on voimassa 1 vuorokauden." in flowed
    assert "Linkki vanhenee 8.3.2025 klo 15.05 (Suomen aikaa)." in flowed
    for lang in ("fi", "sv", "en"):
        assert f'lang="{lang}"' in html


@pytest.mark.parametrize(
    "value",
    [
        "Fri, 07 Mar 2025 13:05:00 +0000",
        "<inv-1.1@posti.fi>",
        "Matti Virtanen <matti@example.com>",
        '"Virtanen, Matti" <matti@example.com>',
        "x" * 90,
        "short  double  spaces",
        "Åsa Ström <asa@example.com>",
    ],
)
def test_fast_folding_matches_the_standard_library(value: str) -> None:
    for name in ("To", "Message-ID", "X-Test"):
        if name == "To" and "@" not in value:
            continue
        ours = POLICY.header_factory(name, value).fold(policy=POLICY)
        stdlib = SMTP.header_factory(name, value).fold(policy=SMTP)
        assert ours == stdlib


@pytest.mark.parametrize(
    "name",
    [
        "", "Matti Virtanen", "Matti Meikäläinen", "Pää Käyttäjä", "Åsa Ström-Öberg",
        "Jean-Luc D'Artagnan", "Dr. Who", "Virtanen, Matti", "Ääää Öööö Åååå Üüüü",
        "Ääää " * 3 + "Ab " + "Öö " * 4, "x" * 70,
        "Zoë  Two Spaces ", "中文 名字",
    ],
)
def test_address_headers_read_back_exactly(name: str) -> None:
    """Our folding of From/To (encoded words per run) decodes to the same mailbox."""
    for addr in ("matti.virtanen@example.com", "m@example.com", "pää@esimerkki.fi"):
        ours = headers.address_header("email", "To", addr, name or None)
        for pol in (POLICY, POLICY_UTF8):
            if not addr.isascii() and pol is POLICY:
                continue
            folded = ours.fold(policy=pol)
            assert all(len(line) <= 78 for line in folded.split("\r\n")) or len(name) > 70
            assert folded.isascii() or pol is POLICY_UTF8
            read = email.message_from_string(folded + "\r\n", policy=policy.default)
            (mailbox,) = read["To"].addresses
            assert (mailbox.display_name, mailbox.addr_spec) == (" ".join(name.split()), addr)


def test_date_header_matches_the_standard_library() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    for when in (datetime(2025, 3, 7, 13, 5, tzinfo=UTC),
                 datetime(2025, 7, 1, 9, 0, 59, tzinfo=timezone(timedelta(hours=3)))):
        assert POLICY.header_factory("Date", when).fold(policy=POLICY) == (
            SMTP.header_factory("Date", when).fold(policy=SMTP)
        )


@pytest.mark.parametrize(
    "subject",
    [
        SUBJECT,
        "Vahvista sähköpostiosoitteesi / Bekräfta din e-postadress / Confirm",
        "Ääkköset ja öljyä " * 8,
        "ASCII only subject that is long enough to need folding onto a second line ok",
        "Two adjacent Äää Ööö words keep their space",
        "A word that looks =?like?= an encoded word",
    ],
)
def test_subject_folding_round_trips(subject: str) -> None:
    folded = fold_words("Subject", " ".join(subject.split()))
    assert all(len(line) <= 78 for line in folded.split("\r\n"))
    assert folded.isascii()
    message = email.message_from_string(folded + "\r\n", policy=policy.default)
    assert message["Subject"] == " ".join(subject.split())


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"languages": ("sv",)},
        {"to_email": "pää.käyttäjä@esimerkki.fi", "sender": "Pösti <noreply@posti.fi>"},
        {"to_name": None, "company_name": "x" * 500},
    ],
)
def test_fast_serialiser_matches_the_standard_library(
    invitation: Callable[..., InvitationEmail], changes: dict[str, object],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outgoing = compose_invitation(invitation(**changes))
    # Rebuild the message object and let the stdlib generator write it.
    rendered = renderer_for().render_invitation(invitation(**changes))
    captured: list[EmailMessage] = []
    original = mime.as_bytes

    def spy(message: EmailMessage) -> bytes:
        captured.append(message)
        return original(message)

    monkeypatch.setattr(mime, "as_bytes", spy)
    again = renderer_for().compose(invitation(**changes), rendered)
    (message,) = captured
    assert again.data == outgoing.data
    assert outgoing.data == message.as_bytes(policy=message.policy)
