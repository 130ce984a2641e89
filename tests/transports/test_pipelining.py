"""SMTP PIPELINING (RFC 2920): the envelope in one write when the relay offers it."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import replace

import pytest

from invitations.transports import SendStatus, transport_from_url
from tests.transports.samples import make_message
from tests.transports.smtpd import CloseAfter, Scripted, SMTPServer

Server = Callable[..., SMTPServer]
TWO = ("anna@example.test", "ben@example.test")


def url(server: SMTPServer) -> str:
    return f"smtp://127.0.0.1:{server.port}?timeout=5"


@pytest.mark.parametrize("pipelining", [True, False])
def test_the_envelope_goes_in_one_write_only_when_offered(
    smtp_server: Server, pipelining: bool
) -> None:
    server = smtp_server(pipelining=pipelining)
    messages = [replace(make_message(n), recipients=TWO) for n in range(3)]
    with transport_from_url(url(server)) as transport:
        results = transport.send(messages)
    assert all(r.accepted for r in results), results
    assert [m.content for m in server.messages] == [m.data for m in messages]
    assert all(m.rcpt_tos == list(TWO) for m in server.messages)
    assert server.handler.connections == 1
    if pipelining:
        assert server.pipelined == [True] * 3
    else:  # the probe is not installed: the server records nothing
        assert server.pipelined == []


def test_a_refused_recipient_is_reported_and_the_rest_get_it(smtp_server: Server) -> None:
    server = smtp_server(Scripted(rcpt={"ben@example.test": "550 5.1.1 No such user"}),
                         pipelining=True)
    with transport_from_url(url(server)) as transport:
        partial, after = transport.send(
            [replace(make_message(1), recipients=TWO), make_message(2)]
        )
    assert partial.accepted and "550 <ben@example.test>: 5.1.1 No such user" in partial.reply
    assert after.accepted
    assert [m.rcpt_tos for m in server.messages] == [["anna@example.test"]] * 2
    assert server.handler.connections == 1


def test_a_temporary_refusal_sends_nothing_even_after_354(
    smtp_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The pipelined DATA was answered 354 for anna; the message must not go to
    # her alone, so the transport closes the connection instead of finishing DATA.
    server = smtp_server(Scripted(rcpt={"ben@example.test": "452 4.2.2 Mailbox full"}),
                         pipelining=True)
    wire: list[bytes] = []  # everything the client writes, in order
    send = smtplib.SMTP.send

    def recorded(self: smtplib.SMTP, data: str | bytes) -> None:
        wire.append(data.encode() if isinstance(data, str) else data)
        send(self, data)

    monkeypatch.setattr(smtplib.SMTP, "send", recorded)
    with transport_from_url(url(server)) as transport:
        full, after = transport.send([replace(make_message(1), recipients=TWO), make_message(2)])
    assert full.status is SendStatus.TEMPORARY_FAILURE and full.code == 452
    assert after.accepted
    # Nothing (no RSET, no body, no end-of-data dot) follows the refused envelope
    # on its connection: the next thing written is the new session's EHLO.
    envelope = next(n for n, written in enumerate(wire) if written.startswith(b"MAIL FROM:"))
    assert wire[envelope].endswith(b"DATA\r\n")
    assert wire[envelope + 1].startswith(b"ehlo ")
    server.wait_for_closed(1)  # the server has seen the first connection end mid-DATA
    assert [m.content for m in server.messages] == [make_message(2).data]
    assert server.handler.connections == 2


def test_nobody_accepted_is_permanent_and_the_session_goes_on(smtp_server: Server) -> None:
    refuse = {a: "550 5.1.1 No such user" for a in TWO}
    server = smtp_server(Scripted(rcpt=refuse), pipelining=True)
    with transport_from_url(url(server)) as transport:
        gone, after = transport.send(
            [replace(make_message(1), recipients=TWO), make_message(2, to="cid@example.test")]
        )
    assert gone.status is SendStatus.PERMANENT_FAILURE and gone.code == 550
    assert after.accepted
    # aiosmtpd answers the pipelined DATA with 503 (no recipients): RSET suffices.
    assert server.handler.connections == 1


def test_data_refusals_are_mapped(smtp_server: Server) -> None:
    server = smtp_server(Scripted(["451 4.3.0 Try again later", "554 5.7.1 Rejected"]),
                         pipelining=True)
    with transport_from_url(url(server)) as transport:
        results = transport.send([make_message(n) for n in range(3)])
    assert [r.status for r in results] == [
        SendStatus.TEMPORARY_FAILURE, SendStatus.PERMANENT_FAILURE, SendStatus.ACCEPTED
    ]
    assert len(server.messages) == 1 and server.handler.connections == 1


@pytest.mark.parametrize("say_421", [False, True])
def test_a_relay_closing_after_n_messages_is_followed(smtp_server: Server, say_421: bool) -> None:
    server = smtp_server(CloseAfter(2, say_421=say_421), pipelining=True)
    with transport_from_url(url(server)) as transport:
        results = [transport.send([make_message(n)])[0] for n in range(5)]
    assert all(r.accepted for r in results), results
    assert len(server.messages) == 5
    assert server.handler.connections == 3
