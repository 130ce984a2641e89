"""SMTPTransport against real aiosmtpd servers on 127.0.0.1."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from invitations.errors import ConfigurationError
from invitations.transports import SendStatus, SMTPTransport, transport_from_url
from tests.transports.samples import make_message
from tests.transports.smtpd import (
    Certificates,
    CloseAfter,
    Scripted,
    SMTPServer,
    Stall,
    password_authenticator,
)

Server = Callable[..., SMTPServer]


def url(server: SMTPServer, query: str = "", auth: str = "") -> str:
    return f"smtp://{auth}127.0.0.1:{server.port}?timeout=5{query}"


def test_delivers_the_exact_bytes_and_reuses_one_connection(smtp_server: Server) -> None:
    server = smtp_server()
    messages = [make_message(n, body=f".dot line\nline {n}\n") for n in range(5)]
    with transport_from_url(url(server)) as transport:
        first = transport.send(messages[:3])
        second = transport.send(messages[3:])
    assert [r.status for r in first + second] == [SendStatus.ACCEPTED] * 5
    assert first[0].code == 250 and "Ok: queued" in first[0].reply
    assert [m.content for m in server.messages] == [m.data for m in messages]
    assert server.messages[0].mail_from == "noreply@posti.test"
    assert server.messages[0].rcpt_tos == ["anna@example.test"]
    assert server.handler.connections == 1


def test_server_down_is_temporary_for_the_whole_batch(
    smtp_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = smtp_server(started=False)
    attempts: list[SMTPTransport] = []
    connect = SMTPTransport._connect

    def counted(self: SMTPTransport) -> smtplib.SMTP:
        attempts.append(self)
        return connect(self)

    monkeypatch.setattr(SMTPTransport, "_connect", counted)
    with transport_from_url(url(server)) as transport:
        results = transport.send([make_message(1), make_message(2)])
    # One attempt for the batch: the second message does not pay another connect.
    assert len(attempts) == 1
    assert [r.status for r in results] == [SendStatus.TEMPORARY_FAILURE] * 2
    assert f"127.0.0.1:{server.port}" in results[0].reply
    assert results[0].code is None


def test_server_coming_up_later_gets_the_same_message(smtp_server: Server) -> None:
    server = smtp_server(started=False)
    message = make_message(7)
    with transport_from_url(url(server)) as transport:
        assert transport.send([message])[0].status is SendStatus.TEMPORARY_FAILURE
        server.start()
        assert transport.send([message])[0].accepted
    assert server.messages[0].content == message.data


def test_4xx_is_temporary_5xx_permanent_and_the_session_goes_on(smtp_server: Server) -> None:
    server = smtp_server(Scripted(["451 4.3.0 Try again later", "554 5.7.1 Rejected: spam"]))
    with transport_from_url(url(server)) as transport:
        results = transport.send([make_message(n) for n in range(3)])
    assert results[0].status is SendStatus.TEMPORARY_FAILURE
    assert results[0].code == 451 and results[0].reply == "451 4.3.0 Try again later"
    assert results[1].status is SendStatus.PERMANENT_FAILURE
    assert results[1].code == 554 and "spam" in results[1].reply
    assert results[2].accepted
    assert server.handler.connections == 1
    assert len(server.messages) == 1


def test_recipients_are_judged_one_by_one(smtp_server: Server) -> None:
    handler = Scripted(
        rcpt={"gone@example.test": "550 5.1.1 No such user", "full@example.test": "452 4.2.2 Full"}
    )
    server = smtp_server(handler)
    base = make_message(1)
    with transport_from_url(url(server)) as transport:
        partial, gone, full = transport.send(
            [
                replace(base, recipients=("anna@example.test", "gone@example.test")),
                replace(base, recipients=("gone@example.test",)),
                replace(base, recipients=("anna@example.test", "full@example.test")),
            ]
        )
    assert partial.accepted and "gone@example.test" in partial.reply and "550" in partial.reply
    assert gone.status is SendStatus.PERMANENT_FAILURE and gone.code == 550
    # A temporary rejection sends to nobody, so the retry duplicates nothing.
    assert full.status is SendStatus.TEMPORARY_FAILURE and full.code == 452
    assert [m.rcpt_tos for m in server.messages] == [["anna@example.test"]]


def test_connection_dropped_mid_data_is_temporary_then_reconnects(smtp_server: Server) -> None:
    server = smtp_server(Scripted(["drop"]))
    with transport_from_url(url(server)) as transport:
        dropped, after = transport.send([make_message(1), make_message(2)])
    assert dropped.status is SendStatus.TEMPORARY_FAILURE
    assert "during DATA" in dropped.reply
    assert after.accepted
    assert server.handler.connections == 2


@pytest.mark.parametrize("say_421", [False, True])
def test_relay_closing_after_n_messages_is_followed(smtp_server: Server, say_421: bool) -> None:
    server = smtp_server(CloseAfter(2, say_421=say_421))
    messages = [make_message(n) for n in range(6)]
    with transport_from_url(url(server)) as transport:
        # Each close races with the next MAIL here ...
        results = [transport.send([m])[0] for m in messages]
        if not say_421:
            # ... and here the third session is over before the next batch starts.
            server.wait_for_closed(3)
        results += transport.send([make_message(7)])
    assert all(r.accepted for r in results), results
    assert len(server.messages) == 7
    assert server.handler.connections == 4


def test_idle_timeout_of_the_server_is_survived(smtp_server: Server) -> None:
    server = smtp_server(timeout=0.3)
    with transport_from_url(url(server)) as transport:
        assert transport.send([make_message(1)])[0].accepted
        server.wait_for_closed(1)  # the server's 0.3 s idle timer ended the session
        assert transport.send([make_message(2)])[0].accepted
    assert len(server.messages) == 2
    assert server.handler.connections == 2


def test_starttls_verified_against_the_given_ca(smtp_server: Server, certs: Certificates) -> None:
    server = smtp_server(tls_context=certs.server_context(), require_starttls=True)
    transport = transport_from_url(url(server, f"&starttls=required&cafile={certs.ca}"))
    with transport:
        assert transport.send([make_message(1)])[0].accepted
    assert server.messages[0].tls


def test_opportunistic_starttls_upgrades_when_offered(
    smtp_server: Server, certs: Certificates
) -> None:
    server = smtp_server(tls_context=certs.server_context())
    with transport_from_url(url(server, f"&cafile={certs.ca}")) as transport:
        assert transport.send([make_message(1)])[0].accepted
    assert server.messages[0].tls


@pytest.mark.parametrize("trust", ["system", "other"])
def test_unknown_ca_fails_verification(
    smtp_server: Server, certs: Certificates, other_ca: Path, trust: str
) -> None:
    server = smtp_server(tls_context=certs.server_context(), require_starttls=True)
    query = "&starttls=required" + (f"&cafile={other_ca}" if trust == "other" else "")
    with transport_from_url(url(server, query)) as transport:
        result = transport.send([make_message(1)])[0]
    assert result.status is SendStatus.TEMPORARY_FAILURE
    assert "certificate" in result.reply and "cafile" in result.reply
    assert server.messages == []


def test_starttls_required_but_not_offered(smtp_server: Server) -> None:
    server = smtp_server()
    with transport_from_url(url(server, "&starttls=required")) as transport:
        result = transport.send([make_message(1)])[0]
    assert result.status is SendStatus.TEMPORARY_FAILURE
    assert "does not offer STARTTLS" in result.reply
    assert server.messages == []


def test_smtps_implicit_tls(smtp_server: Server, certs: Certificates) -> None:
    server = smtp_server(implicit_tls=certs.server_context())
    with transport_from_url(f"smtps://127.0.0.1:{server.port}?cafile={certs.ca}") as transport:
        assert transport.send([make_message(1)])[0].accepted
    assert server.messages[0].tls


def auth_server(smtp_server: Server, certs: Certificates | None) -> SMTPServer:
    tls = {"tls_context": certs.server_context()} if certs else {"auth_require_tls": False}
    return smtp_server(
        auth_required=True, authenticator=password_authenticator("posti", "s3cr3t pw"), **tls
    )


def test_auth_over_starttls(smtp_server: Server, certs: Certificates) -> None:
    server = auth_server(smtp_server, certs)
    good = url(server, f"&starttls=required&cafile={certs.ca}", "posti:s3cr3t%20pw@")
    with transport_from_url(good) as transport:
        assert transport.send([make_message(1)])[0].accepted
    wrong = url(server, f"&cafile={certs.ca}", "posti:wrong@")
    with transport_from_url(wrong) as transport:
        failed = transport.send([make_message(2)])[0]
    assert failed.status is SendStatus.TEMPORARY_FAILURE and failed.code == 535
    with transport_from_url(url(server, f"&cafile={certs.ca}")) as transport:
        anonymous = transport.send([make_message(3)])[0]
    assert anonymous.status is SendStatus.PERMANENT_FAILURE and anonymous.code == 530
    assert len(server.messages) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_auth_is_never_sent_in_clear_unless_allowed(smtp_server: Server) -> None:
    server = auth_server(smtp_server, None)
    with transport_from_url(url(server, "", "posti:s3cr3t%20pw@")) as transport:
        refused = transport.send([make_message(1)])[0]
    assert refused.status is SendStatus.TEMPORARY_FAILURE
    assert "without TLS" in refused.reply
    allowed = url(server, "&allow_insecure_auth=true", "posti:s3cr3t%20pw@")
    with transport_from_url(allowed) as transport:
        assert transport.send([make_message(2)])[0].accepted
    assert len(server.messages) == 1
    with pytest.raises(ConfigurationError, match="clear text"):
        transport_from_url(url(server, "&starttls=off", "posti:pw@"))


def test_smtputf8_when_the_message_needs_it(smtp_server: Server) -> None:
    server = smtp_server(enable_SMTPUTF8=True)
    message = make_message(1, to="äiti@esimerkki.test")
    with transport_from_url(url(server)) as transport:
        assert transport.send([message])[0].accepted
    assert "SMTPUTF8" in server.messages[0].mail_options
    assert server.messages[0].rcpt_tos == ["äiti@esimerkki.test"]


def test_smtputf8_refusals(smtp_server: Server) -> None:
    server = smtp_server()
    needs_utf8 = make_message(1, to="äiti@esimerkki.test")
    unmarked = replace(needs_utf8, smtputf8=False)
    with transport_from_url(url(server)) as transport:
        unsupported, not_marked = transport.send([needs_utf8, unmarked])
    assert unsupported.status is SendStatus.PERMANENT_FAILURE
    assert "SMTPUTF8" in unsupported.reply
    assert not_marked.status is SendStatus.PERMANENT_FAILURE and not_marked.code == 553
    assert server.messages == []


def test_repr_hides_the_password() -> None:
    transport = transport_from_url("smtp://user:topsecret@relay.example.test:587?starttls=required")
    assert isinstance(transport, SMTPTransport)
    assert "topsecret" not in repr(transport)
    assert (transport.host, transport.port, transport.password) == (
        "relay.example.test",
        587,
        "topsecret",
    )


def test_constructed_directly_with_an_ehlo_name(smtp_server: Server) -> None:
    server = smtp_server()
    transport = SMTPTransport("127.0.0.1", server.port, timeout=5, local_hostname="client.test")
    with transport:
        assert transport.send([make_message(1)])[0].accepted
    assert server.messages[0].helo == "client.test"
    assert not server.messages[0].tls


def test_a_server_that_stops_answering_times_out_as_temporary(smtp_server: Server) -> None:
    stall = Stall()  # answers DATA after 60 s: only the client's 0.5 s timeout ends this
    server = smtp_server(stall)
    transport = SMTPTransport("127.0.0.1", server.port, timeout=0.5, local_hostname="t")
    with transport:
        result = transport.send([make_message(1)])[0]
    assert stall.in_data.is_set()
    assert result.status is SendStatus.TEMPORARY_FAILURE
    assert "during DATA" in result.reply and "timed out" in result.reply
    assert server.messages == []


def test_a_relay_refusing_every_session_keeps_its_reply(smtp_server: Server) -> None:
    server = smtp_server(CloseAfter(0, say_421=True))
    with transport_from_url(url(server)) as transport:
        results = transport.send([make_message(1), make_message(2)])
    assert [r.status for r in results] == [SendStatus.TEMPORARY_FAILURE] * 2
    assert "421 4.7.0 Too many messages" in results[0].reply
    assert server.handler.connections == 1  # the rest of the batch failed fast
