"""devsmtp's DATA reader (large chunks up to CRLF.CRLF) over a raw socket.

Only CRLF "." CRLF ends DATA, as in aiosmtpd 1.4.6: a dot between bare LFs or
bare CRs is data, so an SMTP-smuggled second message stays inside the first.
Dots are unstuffed, bytes after the end (pipelining) are the next command, an
end split across packets is found, and the size and line limits answer as
aiosmtpd does.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from devsmtp import DevSMTP
from devsmtp.smtp.protocol import unstuff


class Raw:
    """A line-level SMTP client: send bytes, read whole replies."""

    def __init__(self, server: DevSMTP) -> None:
        self.sock = socket.create_connection(("127.0.0.1", server.smtp_port), timeout=10)
        self.file = self.sock.makefile("rb")
        assert self.reply().startswith(b"220")

    def reply(self) -> bytes:
        lines = []
        while True:
            line = self.file.readline()
            assert line, "connection closed"
            lines.append(line)
            if line[3:4] != b"-":
                return b"".join(lines)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def command(self, line: bytes) -> bytes:
        self.send(line + b"\r\n")
        return self.reply()

    def begin(self) -> None:
        assert self.command(b"EHLO test").startswith(b"250")
        assert self.command(b"MAIL FROM:<a@example.com>").startswith(b"250")
        assert self.command(b"RCPT TO:<b@example.com>").startswith(b"250")
        assert self.command(b"DATA").startswith(b"354")

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def stored(server: DevSMTP) -> list[bytes]:
    page = server.store.list(limit=100)
    return [server.store.raw(m.id) or b"" for m in reversed(page.messages)]


SMUGGLED = (b"MAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\n"
            b"Subject: smuggled\r\n\r\nevil\r\n")


@pytest.mark.parametrize("fake_end", [
    b"\n.\n", b"\r.\n", b"\n.\r\n", b"\r\n.\n", b"\r.\r", b"\r\n.\r",
])
def test_smuggling_variants_store_exactly_one_message(server: DevSMTP, fake_end: bytes) -> None:
    client = Raw(server)
    client.begin()
    client.send(b"Subject: first\r\n\r\nhello" + fake_end + SMUGGLED + b".\r\n")
    assert client.reply().startswith(b"250")
    assert client.command(b"QUIT").startswith(b"221")
    client.close()
    assert server.store.count() == 1
    (raw,) = stored(server)
    # A line starting with a dot loses that dot (unstuffing), nothing more.
    assert unstuff(b"hello" + fake_end + b"MAIL FROM:<evil@example.com>") in raw
    assert b"Subject: smuggled" in raw


def test_dots_unstuffed_pipelined_command_and_split_end(server: DevSMTP) -> None:
    client = Raw(server)
    client.begin()
    # The end arrives a byte at a time; QUIT rides in the same packet as the end.
    client.send(b"Subject: dots\r\n\r\n..one\r\n..\r\n...three\r\nlast")
    for byte in b"\r\n.\r":
        client.send(bytes([byte]))
    client.send(b"\nMAIL FROM:<c@example.com>\r\n")
    assert client.reply().startswith(b"250")
    assert client.reply().startswith(b"250")  # the pipelined MAIL
    assert client.command(b"RCPT TO:<d@example.com>").startswith(b"250")
    assert client.command(b"DATA").startswith(b"354")
    client.send(b".\r\n")  # an empty message
    assert client.reply().startswith(b"250")
    client.close()
    first, empty = stored(server)
    assert first == b"Subject: dots\r\n\r\n.one\r\n.\r\n..three\r\nlast\r\n"
    assert empty == b""


def test_size_and_line_limits_answer_after_the_body(tmp_path: Path) -> None:
    server = DevSMTP(tmp_path, size_limit=10_000)
    server.start()
    try:
        client = Raw(server)
        client.begin()
        client.send(b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 40 + b".\r\n")
        assert client.reply().startswith(b"552")
        client.begin()
        client.send(b"Subject: long\r\n\r\n" + b"y" * 1500 + b"\r\n.\r\n")
        assert client.reply().startswith(b"500 Line too long")
        client.begin()
        client.send(b"Subject: fine\r\n\r\nok\r\n.\r\n")
        assert client.reply().startswith(b"250")
        client.close()
        assert stored(server) == [b"Subject: fine\r\n\r\nok\r\n"]
    finally:
        server.stop()


def test_unstuff_drops_one_dot_per_line_only_at_crlf() -> None:
    assert unstuff(b".a\r\n..b\r\nc\n.d\r\n") == b"a\r\n.b\r\nc\n.d\r\n"
    assert unstuff(b"plain\r\n") == b"plain\r\n"
