"""SMTP behaviour with real clients: smtplib, swaks, raw sockets."""

from __future__ import annotations

import smtplib
import socket
import ssl
import subprocess
from pathlib import Path

import httpx
import pytest

from devsmtp import DevSMTP

from .conftest import make_message, send


def test_ehlo_advertises_smtputf8_8bitmime_size(server: DevSMTP) -> None:
    with smtplib.SMTP("127.0.0.1", server.smtp_port) as client:
        code, _ = client.ehlo("client.example")
        assert code == 250
        assert client.has_extn("smtputf8")
        assert client.has_extn("8bitmime")
        assert client.esmtp_features["size"] == str(25 * 1024 * 1024)
        assert not client.has_extn("auth")  # AUTH is off unless configured


def test_stored_bytes_are_exact_and_envelope_kept(server: DevSMTP, api: httpx.Client) -> None:
    raw = make_message(to="visible@example.com")
    recipients = ["visible@example.com", "hidden-bcc@example.com"]
    send(server, raw, to=recipients, sender="bounce@posti.fi")
    (summary,) = api.get("/messages").json()["messages"]
    assert summary["to"] == ["visible@example.com", "hidden-bcc@example.com"]
    assert summary["mail_from"] == "bounce@posti.fi"
    assert summary["from"] == "Posti <noreply@posti.fi>"
    response = api.get(f"/messages/{summary['id']}/raw")
    assert response.headers["content-type"] == "message/rfc822"
    assert response.content == raw  # no X-Peer, no added headers
    envelope = api.get(f"/messages/{summary['id']}").json()["envelope"]
    assert envelope["peer"].startswith("127.0.0.1:")
    assert envelope["helo"]
    assert envelope["tls"] is False
    assert envelope["auth_user"] is None


def test_reply_names_the_stored_id(server: DevSMTP) -> None:
    with smtplib.SMTP("127.0.0.1", server.smtp_port) as client:
        client.ehlo()
        client.mail("a@example.com")
        client.rcpt("b@example.com")
        code, reply = client.data(make_message())
    assert code == 250
    assert reply.endswith(b"queued as 1")


def test_smtputf8_address_and_subject(server: DevSMTP, api: httpx.Client) -> None:
    raw = (
        "From: Jörg <jörg@bücher.example>\r\nTo: käyttäjä@esimerkki.fi\r\n"
        "Subject: Kutsu käyttäjäksi\r\n\r\nHei käyttäjä!\r\n"
    ).encode()
    with smtplib.SMTP("127.0.0.1", server.smtp_port) as client:
        client.ehlo()
        refused = client.sendmail(
            "jörg@bücher.example", ["käyttäjä@esimerkki.fi"], raw, mail_options=["SMTPUTF8"]
        )
        assert refused == {}
    (summary,) = api.get("/messages", params={"to": "KÄYTTÄJÄ@esimerkki.fi"}).json()["messages"]
    assert summary["to"] == ["käyttäjä@esimerkki.fi"]
    assert summary["mail_from"] == "jörg@bücher.example"
    assert summary["subject"] == "Kutsu käyttäjäksi"
    detail = api.get(f"/messages/{summary['id']}").json()
    assert detail["envelope"]["smtputf8"] is True
    assert api.get(f"/messages/{summary['id']}/raw").content == raw


def test_8bit_body(server: DevSMTP, api: httpx.Client) -> None:
    raw = (
        "From: a@example.com\r\nTo: b@example.com\r\nSubject: 8bit\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Hyvää päivää, åäö ÅÄÖ €\r\n"
    ).encode()
    send(server, raw, to=["b@example.com"], mail_options=["BODY=8BITMIME"])
    (summary,) = api.get("/messages").json()["messages"]
    assert api.get(f"/messages/{summary['id']}/raw").content == raw
    assert api.get(f"/messages/{summary['id']}/text").text == "Hyvää päivää, åäö ÅÄÖ €\r\n"


def test_swaks_as_third_party_client(server: DevSMTP, api: httpx.Client) -> None:
    swaks = Path("/usr/bin/swaks")
    assert swaks.exists(), "swaks is required: apt-get install swaks"
    result = subprocess.run(
        [str(swaks), "--server", f"127.0.0.1:{server.smtp_port}", "--to", "qa@example.com",
         "--from", "swaks@example.com", "--header", "Subject: from swaks", "--body", "hi"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "250 2.0.0 OK queued as 1" in result.stdout
    (summary,) = api.get("/messages").json()["messages"]
    assert summary["subject"] == "from swaks"
    assert summary["mail_from"] == "swaks@example.com"


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_swaks_auth_records_user(tmp_path: Path, mechanism: str) -> None:
    with DevSMTP(tmp_path, auth="any") as server:
        result = subprocess.run(
            ["/usr/bin/swaks", "--server", f"127.0.0.1:{server.smtp_port}", "--to", "a@example.com",
             "--auth", mechanism, "--auth-user", "tester", "--auth-password", "whatever"],
            capture_output=True, text=True, timeout=60, check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        detail = httpx.get(f"{server.api_url}/messages/1").json()
        assert detail["envelope"]["auth_user"] == "tester"


def test_auth_checked_when_configured(tmp_path: Path) -> None:
    with DevSMTP(tmp_path, auth="qa:secret") as server:
        with smtplib.SMTP("127.0.0.1", server.smtp_port) as client:
            client.ehlo()
            with pytest.raises(smtplib.SMTPAuthenticationError):
                client.login("qa", "wrong")
            with pytest.raises(smtplib.SMTPSenderRefused):  # 530: AUTH required
                client.sendmail("a@example.com", ["b@example.com"], make_message())
        with smtplib.SMTP("127.0.0.1", server.smtp_port) as client:
            client.login("qa", "secret")
            client.sendmail("a@example.com", ["b@example.com"], make_message())
        assert server.store.get(1) is not None
        assert server.store.get(1).envelope.auth_user == "qa"  # type: ignore[union-attr]


def test_starttls_and_implicit_tls(tmp_path: Path) -> None:
    with DevSMTP(tmp_path, starttls=True, smtps_port=0) as server:
        assert (tmp_path / "tls" / "cert.pem").exists()
        context = ssl.create_default_context(cafile=str(tmp_path / "tls" / "cert.pem"))
        with smtplib.SMTP("localhost", server.smtp_port) as client:
            client.starttls(context=context)
            client.sendmail("a@example.com", ["tls@example.com"], make_message())
        assert server.smtps_port
        with smtplib.SMTP_SSL("localhost", server.smtps_port, context=context) as client:
            client.sendmail("a@example.com", ["tls@example.com"], make_message())
        messages = server.store.list().messages
        assert [m.envelope.tls for m in messages] == [True, True]


def test_implicit_tls_only_on_uvloop(tmp_path: Path) -> None:
    with DevSMTP(tmp_path, smtps_port=0) as server:
        context = ssl.create_default_context(cafile=str(tmp_path / "tls" / "cert.pem"))
        assert server.smtps_port
        with smtplib.SMTP_SSL("127.0.0.1", server.smtps_port, context=context) as client:
            assert not client.has_extn("starttls")
            client.sendmail("a@example.com", ["tls@example.com"], make_message())
        with smtplib.SMTP("127.0.0.1", server.smtp_port) as client:
            client.ehlo()
            assert not client.has_extn("starttls")  # plain port stays plain
        assert [m.envelope.tls for m in server.store.list().messages] == [True]


def test_no_reverse_dns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object) -> str:
        raise AssertionError("devsmtp must not resolve host names")

    monkeypatch.setattr(socket, "getfqdn", forbidden)
    monkeypatch.setattr(socket, "gethostbyaddr", forbidden)
    with DevSMTP(tmp_path) as server:
        with smtplib.SMTP("127.0.0.1", server.smtp_port, local_hostname="client") as client:
            assert client.ehlo()[1].startswith(b"devsmtp")
            client.sendmail("a@example.com", ["b@example.com"], make_message())
        assert server.store.count() == 1


def test_disconnect_mid_data_stores_nothing_and_leaks_nothing(
    server: DevSMTP, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(5):
        with socket.create_connection(("127.0.0.1", server.smtp_port), timeout=10) as sock:
            reader = sock.makefile("rb")
            assert reader.readline().startswith(b"220")
            commands = (
                b"EHLO x\r\n", b"MAIL FROM:<a@example.com>\r\n", b"RCPT TO:<b@example.com>\r\n"
            )
            for line in commands:
                sock.sendall(line)
                reply = reader.readline()
                while reply[3:4] == b"-":
                    reply = reader.readline()
                assert reply[:1] == b"2", reply
            sock.sendall(b"DATA\r\n")
            assert reader.readline().startswith(b"354")
            sock.sendall(b"Subject: half\r\n\r\nonly part of the bo")
            reader.close()
    send(server, make_message(), to=["after@example.com"])  # the server still works
    assert [m.envelope.rcpt_to for m in server.store.list().messages] == [("after@example.com",)]
    assert server.wait_connections_closed(timeout=10), f"{server.open_connections} still open"
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


def test_malformed_mime_is_stored_raw_and_marked(server: DevSMTP, api: httpx.Client) -> None:
    raw = (
        b"From: a@example.com\r\nSubject: broken\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=\"never-used\"\r\n\r\n"
        b"no boundary here at all\r\n\xff\xfe binary junk\r\n"
    )
    send(server, raw)
    (summary,) = api.get("/messages").json()["messages"]
    assert summary["malformed"] is True
    detail = api.get(f"/messages/{summary['id']}").json()
    assert detail["defects"]
    assert api.get(f"/messages/{summary['id']}/raw").content == raw


def test_oversized_message_refused_with_552(server: DevSMTP) -> None:
    line = b"x" * 998 + b"\r\n"
    raw = b"Subject: big\r\n\r\n" + line * (30 * 1024 * 1024 // len(line))
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=120) as client:
        client.ehlo()
        # Without SIZE= the server must still count and refuse at the end of DATA.
        client.esmtp_features.pop("size", None)
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("a@example.com", ["b@example.com"], raw)
        assert refused.value.smtp_code == 552
    with smtplib.SMTP("127.0.0.1", server.smtp_port) as client:
        client.ehlo()
        code, _ = client.mail("a@example.com", [f"SIZE={len(raw)}"])
        assert code == 552  # declared size is refused up front
    assert server.store.count() == 0


def test_8bit_junk_in_headers_is_stored_and_listed(server: DevSMTP, api: httpx.Client) -> None:
    raw = (
        b"From: \xff\xfe <x@example.com>\r\nSubject: \xe4\xff\r\n"
        b"Content-Type: text/plain; charset=\xff\r\n\r\n\xff body\r\n"
    )
    send(server, raw)
    (summary,) = api.get("/messages").json()["messages"]
    assert api.get(f"/messages/{summary['id']}").status_code == 200
    assert api.get(f"/messages/{summary['id']}/raw").content == raw


def test_large_message_parsed_off_the_loop(server: DevSMTP, api: httpx.Client) -> None:
    from email.message import EmailMessage
    from email.policy import SMTP as SMTP_POLICY

    msg = EmailMessage()
    msg["Subject"] = "iso liite"
    msg.set_content("liitteenä data")
    msg.add_attachment(bytes(range(256)) * 8192, maintype="application",
                       subtype="octet-stream", filename="data.bin")
    raw = msg.as_bytes(policy=SMTP_POLICY)
    assert len(raw) > 2 * 1024 * 1024
    send(server, raw)
    (summary,) = api.get("/messages").json()["messages"]
    assert summary["attachments"][0]["size"] == 256 * 8192
    assert api.get(f"/messages/{summary['id']}/raw").content == raw
