"""The arrival summary: headers decoded, links with language, attachments, defects."""

from __future__ import annotations

from email import message_from_bytes
from email.message import Message
from email.policy import compat32

import pytest

from devsmtp.mail import summarize
from devsmtp.mail.mime import parse_bytes


def test_links_take_the_nearest_lang_and_anchor_text() -> None:
    raw = (
        b"Subject: =?utf-8?q?Kutsu_k=C3=A4ytt=C3=A4j=C3=A4ksi?=\r\n"
        b"Content-Type: text/html; charset=utf-8\r\nContent-Language: fi\r\n\r\n"
        b'<html lang="fi"><body><!-- <a href="https://hidden">no</a> -->'
        b'<div lang="sv"><p>Hej <a href="https://x/r?a=1&amp;b=2" title="a>b">Registrera '
        b"<b>dig</b></a></p><div>inner</div></div>"
        b'<div lang="en"><div><a href=\'https://x/en\'>Register</a></div><img src="x"/></div>'
        b'<a href=https://x/fi>Rekister\xc3\xb6idy</a><script>var a="<a href=y>"</script>'
        b"</body></html>\r\n"
    )
    summary = summarize(raw)
    assert summary.subject == "Kutsu käyttäjäksi"
    assert [(link.url, link.text, link.lang) for link in summary.links] == [
        ("https://x/r?a=1&b=2", "Registrera dig", "sv"),
        ("https://x/en", "Register", "en"),
        ("https://x/fi", "Rekisteröidy", "fi"),
    ]
    assert summary.languages == ["fi", "sv", "en"]
    assert summary.has_html and not summary.has_text
    assert not summary.malformed


def test_text_links_and_raw_utf8_headers() -> None:
    raw = (
        "From: Jörg <jörg@bücher.example>\r\nTo: a@example.com, B <b@example.com>\r\n"
        "Subject: Hei äö =?utf-8?q?K=C3=A4ytt=C3=A4j=C3=A4?=\r\n"
        "Date: Fri, 27 Nov 2026 21:00:00 +0200\r\n\r\n"
        "Avaa https://example.com/register?token=abc. Kiitos!\r\n"
    ).encode()
    summary = summarize(raw)
    assert summary.sender == "Jörg <jörg@bücher.example>"
    assert summary.to == ["a@example.com", "B <b@example.com>"]
    assert summary.subject == "Hei äö Käyttäjä"
    assert summary.date == "2026-11-27T21:00:00+02:00"
    assert [(link.url, link.part) for link in summary.links] == [
        ("https://example.com/register?token=abc", "text")
    ]


def test_attachments_and_parts() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
        b"Content-Type: text/plain\r\n\r\nsee attached\r\n--XX\r\n"
        b"Content-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*=utf-8''ohje%C3%A4.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQ=\r\n--XX--\r\n"
    )
    summary = summarize(raw)
    assert [(a.name, a.type, a.size) for a in summary.attachments] == [
        ("ohjeä.pdf", "application/pdf", 8)
    ]
    assert [p.type for p in summary.parts] == ["text/plain", "application/pdf"]


def test_unparseable_input_is_marked_not_dropped() -> None:
    for raw in (b"\x00\xff\xfe garbage without headers", b"Content-Type: multipart/mixed\r\n\r\nx"):
        summary = summarize(raw)
        assert summary.malformed
        assert summary.defects


def test_raw_8bit_in_parameters_never_breaks_storage() -> None:
    raw = (
        b"Subject: ok\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
        b"Content-Type: text/plain; charset=\xff\xfe\r\n\r\nhi\r\n--B\r\n"
        b"Content-Type: application/octet-stream; name=\"\xe4\xff.bin\"\r\n"
        b"Content-Disposition: attachment; filename=\"\xe4\xff.bin\"\r\n\r\nxx\r\n--B--\r\n"
    )
    summary = summarize(raw)
    text = repr(summary.to_dict()) + summary.search_text
    text.encode("utf-8")  # no lone surrogates left anywhere
    assert summary.attachments


def _tree(msg: Message) -> list[tuple[object, ...]]:
    return [
        (part._headers, part.get_unixfrom(), [type(d).__name__ for d in part.defects],
         None if part.is_multipart() else part.get_payload(), part.preamble, part.epilogue)
        for part in msg.walk()
    ]


@pytest.mark.parametrize(
    "raw",
    [
        b"Subject: a\r\n\tfolded\r\nTo:\r\n x@y\r\nX-Empty: \t\r\n\r\nbody\r\n.\r\n\r\n",
        b"From: \xc3\xa4 <a@b>\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nw6Q=\r\n",
        b"Subject: only headers\r\n\r\n",
        b"Subject: bare LF\nin the body\r\n\r\nx\ny\rz\x0bw\r\n",
        # These take the full parse: multipart, message/*, a From_ line, junk.
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nhi\r\n--b--\r\n",
        b"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nbody",
        b"From someone Mon\r\nSubject: a\r\n\r\nb",
        b" continued: first\r\nSubject: a\r\n\r\nb",
        b"Subject: a\r\nnot a header\r\n\r\nb",
        b"Subject: a\r\n: empty name\r\n\r\nb",
        b"Subject: a\nTo: b\n\nlf only",
    ],
)
def test_parse_bytes_matches_the_full_parser(raw: bytes) -> None:
    assert _tree(parse_bytes(raw)) == _tree(message_from_bytes(raw, policy=compat32))
