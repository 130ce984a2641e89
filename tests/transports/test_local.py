"""file://, console://, memory://, null:// and the URL parsing they share."""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from invitations.errors import ConfigurationError
from invitations.transports import (
    ConsoleTransport,
    FileTransport,
    MemoryTransport,
    NullTransport,
    SendStatus,
    SMTPTransport,
    StartTLS,
    Transport,
    memory,
    transport_from_url,
)
from tests.transports.samples import make_message


def test_file_writes_one_eml_per_message_atomically(tmp_path: Path) -> None:
    target = tmp_path / "out" / "mail"
    messages = [make_message(n) for n in range(3)]
    with transport_from_url(f"file://{target}") as transport:
        results = transport.send(messages)
        again = transport.send(messages[:1])  # a retry replaces, never adds
    assert all(r.accepted for r in results + again)
    files = sorted(p.name for p in target.iterdir())
    assert files == ["msg-0@posti.test.eml", "msg-1@posti.test.eml", "msg-2@posti.test.eml"]
    assert (target / files[1]).read_bytes() == messages[1].data
    assert str(target / files[0]) in results[0].reply


def test_file_name_cannot_escape_the_directory(tmp_path: Path) -> None:
    evil = replace(make_message(1), message_id="<../../etc/passwd>")
    with FileTransport(tmp_path) as transport:
        assert transport.send([evil])[0].accepted
    assert [p.name for p in tmp_path.iterdir()] == ["_.._etc_passwd.eml"]


def test_file_failure_is_temporary(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    result = FileTransport(blocker / "sub").send([make_message(1)])[0]
    assert result.status is SendStatus.TEMPORARY_FAILURE
    assert "cannot write" in result.reply


def test_file_leaves_no_temporary_files(tmp_path: Path) -> None:
    with FileTransport(tmp_path) as transport:
        transport.send([make_message(n) for n in range(20)])
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".tmp-")]


def test_console_prints_a_readable_message(capsys: pytest.CaptureFixture[str]) -> None:
    message = make_message(1, body="Hei Äiti!\n" + "https://x.test/register?token=" + "a" * 90)
    with transport_from_url("console://") as transport:
        assert transport.send([message])[0].accepted
    out = capsys.readouterr().out
    assert "Envelope-To: anna@example.test" in out
    assert "Subject: Kutsu 1" in out
    assert "Hei Äiti!" in out
    assert "token=" + "a" * 90 in out  # no quoted-printable soft breaks in the link


def test_console_raw(capsys: pytest.CaptureFixture[str]) -> None:
    message = make_message(1)
    ConsoleTransport(raw=True).send([message])
    assert message.data.decode().replace("\r\n", "\n").strip() in capsys.readouterr().out


def test_memory_keeps_messages_and_wire_bytes() -> None:
    transport = MemoryTransport()
    message = make_message(1, body=".starts with a dot\n")
    assert transport.send([message])[0].accepted
    assert transport.outbox == [message]
    assert b"\r\n..starts with a dot\r\n.\r\n" in transport.wire[0]
    assert memory.parse(message)["Subject"] == "Kutsu 1"


def test_memory_refuses_what_smtp_refuses() -> None:
    transport = MemoryTransport()
    utf8 = make_message(1, to="äiti@esimerkki.test")
    unmarked = replace(utf8, smtputf8=False)
    header_injection = replace(make_message(2), recipients=("a@x.test\r\nRCPT TO:<b@x.test>",))
    long_line = make_message(3, body="x" * 1200)
    no_recipients = replace(make_message(4), recipients=())
    results = transport.send([unmarked, header_injection, no_recipients, utf8])
    assert [r.code for r in results[:3]] == [553, 501, 554]
    assert all(r.status is SendStatus.PERMANENT_FAILURE for r in results[:3])
    assert results[3].accepted
    assert transport.outbox == [utf8]
    # The email package folds long lines; bytes built by hand may not be.
    raw = replace(long_line, data=long_line.data + b"y" * 999 + b"\r\n")
    assert transport.send([raw])[0].code == 554
    without_utf8 = transport_from_url("memory://?smtputf8=false")
    assert without_utf8.send([utf8])[0].status is SendStatus.PERMANENT_FAILURE


def test_memory_urls_share_their_outbox() -> None:
    named = memory.mailbox("shared-test")
    named.clear()
    transport_from_url("memory://shared-test").send([make_message(1)])
    transport_from_url("memory://shared-test").send([make_message(2)])
    assert [m.message_id for m in named] == ["<msg-1@posti.test>", "<msg-2@posti.test>"]
    default = transport_from_url("memory://")
    assert isinstance(default, MemoryTransport) and default.outbox is memory.outbox


def test_memory_is_thread_safe() -> None:
    transport = MemoryTransport()
    message = make_message(1)

    def work() -> None:
        for _ in range(200):
            transport.send([message])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(transport.outbox) == 800


def test_null_accepts_and_counts() -> None:
    transport = transport_from_url("null://")
    assert isinstance(transport, NullTransport)
    assert all(r.accepted for r in transport.send([make_message(n) for n in range(3)]))
    assert transport.count == 3


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("smtp://127.0.0.1:1025", SMTPTransport),
        ("SMTPS://relay.example.test", SMTPTransport),
        ("file:///tmp/mail", FileTransport),
        ("file:relative/mail", FileTransport),
        ("console://", ConsoleTransport),
        ("memory://", MemoryTransport),
        ("null://", NullTransport),
    ],
)
def test_every_scheme_gives_a_transport(url: str, kind: type) -> None:
    transport = transport_from_url(url)
    assert isinstance(transport, kind)
    assert isinstance(transport, Transport)


def test_smtp_url_options(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    transport = transport_from_url(
        "smtp://me%40posti.test:p%3Ass@relay.example.test:587"
        f"?starttls=required&timeout=2.5&cafile={ca}&local_hostname=app.test"
    )
    assert isinstance(transport, SMTPTransport)
    assert transport.username == "me@posti.test" and transport.password == "p:ss"
    assert transport.starttls is StartTLS.REQUIRED and transport.timeout == 2.5
    assert transport.cafile == str(ca) and transport.local_hostname == "app.test"
    default = transport_from_url("smtp://relay.example.test")
    assert isinstance(default, SMTPTransport)
    assert (default.port, default.starttls, default.timeout) == (25, StartTLS.OPPORTUNISTIC, 10.0)
    smtps = transport_from_url("smtps://relay.example.test")
    assert isinstance(smtps, SMTPTransport) and smtps.port == 465 and smtps.implicit_tls


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("gopher://x", "unknown transport"),
        ("smtp://x?starttsl=required", "unknown option(s) starttsl"),
        ("smtp://x?starttls=maybe", "not one of"),
        ("smtp://x?timeout=-1", "positive number"),
        ("smtp://x?timeout=soon", "positive number"),
        ("smtp://x:99999", "port"),
        ("smtp://x?timeout=1&timeout=2", "given twice"),
        ("smtps://x?starttls=required", "already TLS"),
        ("smtp://u:hunter2@x?starttls=off", "clear text"),
        ("smtp://u:hunter2@x?allow_insecure_auth=perhaps", "true or false"),
        ("file://", "file:///absolute/dir"),
        ("file://otherhost/dir", "file:///absolute/dir"),
        ("null://?x=1", "unknown option"),
    ],
)
def test_bad_urls_are_configuration_errors(url: str, complaint: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        transport_from_url(url)
    assert complaint in str(caught.value)
    assert "hunter2" not in str(caught.value)
    assert caught.value.message("fi").startswith("Virheellinen asetus")
