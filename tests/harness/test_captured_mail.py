"""CapturedMail on hand-built bytes: parsing, links, sections and each assertion."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import httpx
import pytest

from devsmtp.testing import CapturedMail, Envelope, MailAssertionError, decode_token

from ._mails import SIGNED_AT, SUBJECT, TEXTS, invitation_mail, make_token


def captured(msg: EmailMessage, envelope: Envelope | None = None) -> CapturedMail:
    return CapturedMail.from_message(msg, envelope=envelope)


def test_headers_and_bodies_are_decoded() -> None:
    mail = captured(invitation_mail())
    assert mail.subject == SUBJECT
    assert b"Kutsu k\xc3\xa4ytt\xc3\xa4j\xc3\xa4ksi" not in mail.raw.split(b"\r\n\r\n")[0]
    assert mail.sender == "noreply@posti.fi"
    assert mail.to == ["alice@example.test"]
    assert ("Message-ID", "<abc@posti.fi>") in mail.headers
    assert mail.text is not None and TEXTS["fi"][0] in mail.text
    assert mail.html is not None and 'lang="sv"' in mail.html


def test_envelope_wins_over_headers() -> None:
    env = Envelope("bounce@posti.fi", ("alice@example.test", "hidden@example.test"))
    mail = captured(invitation_mail(), envelope=env)
    assert mail.sender == "bounce@posti.fi"
    assert mail.to == ["alice@example.test", "hidden@example.test"]


def test_sections_in_order_with_own_text_and_links() -> None:
    mail = captured(invitation_mail())
    assert mail.languages == ["fi", "sv", "en"]
    sv = mail.section("sv")
    assert sv.text.splitlines()[0] == TEXTS["sv"][0]
    assert TEXTS["fi"][0] not in sv.text
    assert [link.lang for link in mail.links if link.part == "html"] == ["fi", "sv", "en"]
    assert all(link.text.startswith("http://localhost/register") for link in sv.links)


def test_missing_section_names_what_exists() -> None:
    mail = captured(invitation_mail(("fi", "en")))
    with pytest.raises(MailAssertionError, match=r"no lang='sv' section.*\['fi', 'en'\]"):
        mail.section("sv")


def test_single_language_mail_uses_html_lang() -> None:
    msg = EmailMessage()
    msg["Subject"] = "Inbjudan"
    msg.set_content("x")
    msg.add_alternative('<html lang="sv"><body><p>Hej <a href="http://h/x">x</a></p></body></html>',
                        subtype="html")
    mail = captured(msg)
    assert mail.languages == ["sv"]
    assert mail.section("sv").text.startswith("Hej")


def test_invitation_link_token_and_decoded_invitation() -> None:
    token = make_token("inv-42")
    mail = captured(invitation_mail(link=f"http://localhost/register?token={token}&lang=fi"))
    assert mail.invitation_link == f"http://localhost/register?token={token}&lang=fi"
    assert mail.token == token
    decoded = mail.invitation
    assert decoded.id == "inv-42"
    assert decoded.signed_at == SIGNED_AT
    assert decoded.expires_at == SIGNED_AT + timedelta(days=7)


def test_text_only_links_are_found() -> None:
    msg = EmailMessage()
    msg.set_content("Register at http://localhost/register?token=a.b.c.\nThanks")
    mail = captured(msg)
    assert [link.url for link in mail.links] == ["http://localhost/register?token=a.b.c"]
    assert mail.links[0].part == "text"


def test_no_link_is_a_readable_failure() -> None:
    msg = EmailMessage()
    msg["Subject"] = "Hello"
    msg.set_content("no link here")
    with pytest.raises(MailAssertionError, match="no link with a token in mail 'Hello'"):
        _ = captured(msg).invitation_link


def test_decode_token_refuses_garbage() -> None:
    with pytest.raises(MailAssertionError, match="not an itsdangerous token"):
        decode_token("hello")


@pytest.mark.parametrize("times", [False, True])
def test_assert_languages_passes_for_consistent_mail(times: bool) -> None:
    captured(invitation_mail(times=times)).assert_languages("fi", "sv", "en")


def test_assert_languages_reports_order() -> None:
    mail = captured(invitation_mail(("sv", "fi", "en")))
    with pytest.raises(MailAssertionError, match=r"sections \['sv', 'fi', 'en'\], expected"):
        mail.assert_languages("fi", "sv", "en")


def test_assert_languages_reports_differing_expiry() -> None:
    texts = dict(TEXTS, sv=(*TEXTS["sv"][:2], "Giltig till 15.3.2025 kl. 15:05."))
    mail = captured(invitation_mail(texts=texts))
    with pytest.raises(MailAssertionError, match="expiry differs between sections"):
        mail.assert_languages("fi", "sv", "en")


def test_assert_languages_reports_missing_expiry() -> None:
    texts = dict(TEXTS, en=(*TEXTS["en"][:2], "Valid for a week."))
    with pytest.raises(MailAssertionError, match=r"no expiry date found in: \['en'\]"):
        captured(invitation_mail(texts=texts)).assert_languages("fi", "sv", "en")


def test_assert_languages_reports_a_section_without_the_link() -> None:
    msg = invitation_mail()
    html = msg.get_body(("html",))
    assert html is not None
    head, en = html.get_content().split('<div lang="en">')
    en = en.replace("http://localhost/register?token=", "http://localhost/old?token=")
    html.set_content(head + '<div lang="en">' + en, subtype="html")
    with pytest.raises(MailAssertionError, match=r"\[en\] lacks the link http://localhost/reg"):
        captured(msg).assert_languages("fi", "sv", "en")


def test_assert_headers_safe_passes_and_fails_with_reasons() -> None:
    captured(invitation_mail()).assert_headers_safe()
    msg = invitation_mail()
    del msg["Auto-Submitted"]
    del msg["Message-ID"]
    with pytest.raises(MailAssertionError) as info:
        captured(msg).assert_headers_safe()
    assert "no Message-ID header" in str(info.value)
    assert "Auto-Submitted is None" in str(info.value)


def test_assert_headers_safe_catches_raw_utf8() -> None:
    raw = captured(invitation_mail()).raw.replace(b"Subject: ", b"X-Note: \xc3\xa4\r\nSubject: ", 1)
    with pytest.raises(MailAssertionError, match="raw non-ASCII header"):
        CapturedMail(raw).assert_headers_safe()


def test_assert_no_untranslated_uses_catalogs() -> None:
    catalogs = {
        "fi": {"This is an invitation to register as a user of the portal.": TEXTS["fi"][0]},
        "sv": {"This is an invitation to register as a user of the portal.": TEXTS["sv"][0]},
        "en": {"This is an invitation to register as a user of the portal.": TEXTS["en"][0]},
    }
    captured(invitation_mail()).assert_no_untranslated(catalogs)
    leaked = dict(TEXTS, sv=(TEXTS["en"][0], *TEXTS["sv"][1:]))
    with pytest.raises(MailAssertionError, match=r"\[sv\] contains msgid text 'This is an"):
        captured(invitation_mail(texts=leaked)).assert_no_untranslated(catalogs)
    fi_in_sv = dict(TEXTS, sv=(TEXTS["fi"][0], *TEXTS["sv"][1:]))
    with pytest.raises(MailAssertionError, match=r"\[sv\] contains fi text"):
        captured(invitation_mail(texts=fi_in_sv)).assert_no_untranslated(catalogs)


def test_assert_no_untranslated_catches_unrendered_placeholders() -> None:
    texts = dict(TEXTS, en=("Invited by %(inviter)s", "{{ link }}", TEXTS["en"][2]))
    with pytest.raises(MailAssertionError) as info:
        captured(invitation_mail(texts=texts)).assert_no_untranslated({})
    assert "'{{'" in str(info.value) and "'%('" in str(info.value)


@pytest.mark.parametrize("token", ["hello", "a.b.c", "!!!.AAAA.sig", ".eJzz.AAAA.sig"])
def test_decode_token_refuses_garbage_with_one_error_type(token: str) -> None:
    with pytest.raises(MailAssertionError, match="not an itsdangerous token"):
        decode_token(token)


def test_assert_languages_compares_visible_dates_even_with_time_elements() -> None:
    texts = dict(TEXTS, sv=(*TEXTS["sv"][:2], "Giltig till 14.3.2025 kl. 14:05."))
    with pytest.raises(MailAssertionError, match="expiry differs between sections"):
        captured(invitation_mail(texts=texts, times=True)).assert_languages("fi", "sv", "en")


def test_assert_link_works_sends_path_to_the_client_base_url() -> None:
    seen: list[str] = []

    def app(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, text="form")

    mail = captured(invitation_mail(link="http://localhost/register?token=a.b.c"))
    with httpx.Client(transport=httpx.MockTransport(app), base_url="http://app:81") as client:
        assert mail.assert_link_works(client).text == "form"
    assert seen == ["http://app:81/register?token=a.b.c"] * 2


def test_assert_link_works_catches_a_link_used_up_by_the_first_get() -> None:
    answers = iter([200, 410])

    def app(request: httpx.Request) -> httpx.Response:
        return httpx.Response(next(answers), text="gone")

    mail = captured(invitation_mail(link="http://localhost/register?token=a.b.c"))
    with httpx.Client(transport=httpx.MockTransport(app), base_url="http://app") as client, \
            pytest.raises(MailAssertionError, match=r"second GET /register\?token=a.b.c .*410"):
        mail.assert_link_works(client)


def test_same_language_nested_is_one_section() -> None:
    msg = EmailMessage()
    msg.set_content("x")
    msg.add_alternative(
        '<html lang="fi"><body><div lang="fi"><table><tr><td lang="fi">Hei '
        '<a href="http://h/register?token=t">linkki</a></td></tr></table></div>'
        '<div lang="sv"><p lang="sv">Hej</p></div></body></html>', subtype="html")
    mail = captured(msg)
    assert mail.languages == ["fi", "sv"]
    assert mail.section("fi").text == "Hei linkki"
    assert [link.lang for link in mail.links if link.part == "html"] == ["fi"]
