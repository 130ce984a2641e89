"""The durable outbox against real SMTP servers: nothing is lost, nothing sent twice."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from invitations.clock import FrozenClock
from invitations.delivery import RetryPolicy, deliver, requeue_failed, run_workers
from invitations.errors import DeliveryFailed
from invitations.models import DeliveryState, InvitationStatus
from invitations.store import SQLiteInvitationStore
from invitations.transports import OutgoingMessage, SendResult, SMTPTransport
from tests.delivery.conftest import ServiceFactory, invite
from tests.transports.smtpd import Scripted, Slow, SMTPServer

Server = Callable[..., SMTPServer]


def smtp_url(server: SMTPServer) -> str:
    return f"smtp://127.0.0.1:{server.port}?timeout=5"


def test_server_down_then_up(
    smtp_server: Server, service_factory: ServiceFactory, clock: FrozenClock
) -> None:
    server = smtp_server(started=False)
    service = service_factory(smtp_url(server))
    invitation = invite(service, 1)
    assert invitation.status is InvitationStatus.PENDING
    assert invitation.delivery_state is DeliveryState.QUEUED
    assert invitation.attempts == 1
    assert invitation.last_error and f"127.0.0.1:{server.port}" in invitation.last_error
    assert invitation.link is not None

    assert service.deliver_queued() == 0  # not due yet: backoff
    server.start()
    assert service.deliver_queued() == 0
    clock.advance(seconds=31)
    assert service.deliver_queued() == 1
    sent = service.get(invitation.id)
    assert sent.delivery_state is DeliveryState.SENT and sent.attempts == 2
    assert len(server.messages) == 1
    assert invitation.message_id and invitation.message_id.encode() in server.messages[0].content


def test_raise_flag_raises_but_keeps_the_invitation_queued(
    smtp_server: Server, service_factory: ServiceFactory
) -> None:
    server = smtp_server(started=False)
    service = service_factory(smtp_url(server), raise_on_delivery_failure=True)
    with pytest.raises(DeliveryFailed) as caught:
        invite(service, 1)
    assert "user1@testi.fi" in caught.value.message("fi")
    [kept] = service.list()
    assert kept.delivery_state is DeliveryState.QUEUED


def test_4xx_twice_then_250_with_growing_backoff(
    smtp_server: Server, service_factory: ServiceFactory, clock: FrozenClock, db: Path
) -> None:
    server = smtp_server(Scripted(["451 4.3.0 Try again later", "452 4.3.1 Out of space"]))
    service = service_factory(smtp_url(server))
    invitation = invite(service, 1)
    assert invitation.delivery_state is DeliveryState.QUEUED
    assert invitation.last_error == "451 4.3.0 Try again later"
    [row] = service.store.outbox(invitation_id=invitation.id)
    first_wait = row.next_attempt_at - clock.now()
    assert timedelta(seconds=22) <= first_wait <= timedelta(seconds=30)

    clock.advance(first_wait)
    assert service.deliver_queued() == 0
    [row] = service.store.outbox(invitation_id=invitation.id)
    assert (row.state, row.attempts, row.last_error) == (
        DeliveryState.QUEUED, 2, "452 4.3.1 Out of space"
    )
    second_wait = row.next_attempt_at - clock.now()
    assert second_wait > first_wait and second_wait <= timedelta(seconds=60)

    clock.advance(second_wait)
    assert service.deliver_queued() == 1
    done = service.get(invitation.id)
    assert (done.delivery_state, done.attempts) == (DeliveryState.SENT, 3)
    assert len(server.messages) == 1
    # The same bytes on every attempt: one Message-ID, whatever the retries.
    assert server.messages[0].content == row.data


def test_5xx_is_permanent_and_can_be_retried_by_the_operator(
    smtp_server: Server, service_factory: ServiceFactory, clock: FrozenClock
) -> None:
    server = smtp_server(Scripted(["550 5.1.1 <user1@testi.fi>: Recipient address rejected"]))
    service = service_factory(smtp_url(server))
    invitation = invite(service, 1)
    assert invitation.delivery_state is DeliveryState.FAILED
    assert invitation.last_error == "550 5.1.1 <user1@testi.fi>: Recipient address rejected"
    [listed] = service.list()
    assert listed.delivery_state is DeliveryState.FAILED and listed.last_error
    clock.advance(days=1)
    assert service.deliver_queued() == 0  # failed mail is not retried by itself
    assert requeue_failed(service.store, now=clock.now()) == 1
    assert service.deliver_queued() == 1
    assert service.get(invitation.id).delivery_state is DeliveryState.SENT


def test_temporary_failures_give_up_after_max_attempts(
    smtp_server: Server, service_factory: ServiceFactory, clock: FrozenClock
) -> None:
    server = smtp_server(started=False)
    service = service_factory(None)
    invitation = invite(service, 1)
    policy = RetryPolicy(timedelta(seconds=1), timedelta(seconds=2), max_attempts=3)
    with SMTPTransport("127.0.0.1", server.port, timeout=5) as transport:
        reports = []
        for _ in range(4):
            reports.append(deliver(service.store, transport, clock=clock, policy=policy))
            clock.advance(seconds=3)
    assert [(r.queued, r.failed) for r in reports] == [(1, 0), (1, 0), (0, 1), (0, 0)]
    failed = service.get(invitation.id)
    assert failed.delivery_state is DeliveryState.FAILED
    assert failed.last_error and failed.last_error.startswith("gave up after 3 attempts")


def test_a_crashed_workers_lease_expires(
    smtp_server: Server, service_factory: ServiceFactory, clock: FrozenClock
) -> None:
    server = smtp_server()
    service = service_factory(None)
    invitation = invite(service, 1)
    # A worker claims the row and dies before recording anything.
    [claimed] = service.store.claim_due(owner="dead-worker", now=clock.now(),
                                        lease=timedelta(minutes=5))
    with SMTPTransport("127.0.0.1", server.port, timeout=5) as transport:
        assert deliver(service.store, transport, clock=clock).total == 0
        clock.advance(minutes=5, seconds=1)
        assert deliver(service.store, transport, clock=clock).sent == 1
    assert claimed.message_id == invitation.message_id
    assert len(server.messages) == 1


def test_two_workers_on_one_queue_never_send_the_same_message(
    smtp_server: Server, service_factory: ServiceFactory, clock: FrozenClock, db: Path
) -> None:
    server = smtp_server(Slow())
    queue_only = service_factory(None)
    ids = {invite(queue_only, n).message_id for n in range(60)}
    reports = []
    go = threading.Barrier(2)

    def worker() -> None:
        # Each worker has its own store object (own connection) and connection.
        with SQLiteInvitationStore(db) as store, SMTPTransport(
            "127.0.0.1", server.port, timeout=5
        ) as transport:
            go.wait(10)
            reports.append(deliver(store, transport, clock=clock, limit=1000, batch=5))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(r.sent for r in reports)[0] > 0, reports  # both took part
    assert sum(r.sent for r in reports) == 60
    received = [m.content.split(b"Message-ID: ")[1].split(b"\r\n")[0].decode()
                for m in server.messages]
    assert len(received) == 60 and set(received) == ids
    assert all(i.delivery_state is DeliveryState.SENT for i in queue_only.list())


def test_run_workers_spreads_over_parallel_connections(
    smtp_server: Server, service_factory: ServiceFactory, clock: FrozenClock
) -> None:
    server = smtp_server(Slow())
    service = service_factory(None)
    for n in range(40):
        invite(service, n)
    ready = threading.Barrier(3)

    def factory() -> SMTPTransport:
        ready.wait(10)  # all three workers exist before the first claim
        return SMTPTransport("127.0.0.1", server.port, timeout=5)

    report = run_workers(service.store, factory, clock=clock, workers=3)
    assert (report.sent, report.queued, report.failed) == (40, 0, 0)
    assert server.handler.connections == 3
    assert len(server.messages) == 40


def test_watch_mode_stops_on_the_event(
    smtp_server: Server, service_factory: ServiceFactory, clock: FrozenClock
) -> None:
    server = smtp_server()
    service = service_factory(None)
    stop = threading.Event()
    seen: list[int] = []

    def on_report(report: object) -> None:
        seen.append(1)
        stop.set()

    thread = threading.Thread(target=run_workers, args=(
        service.store, lambda: SMTPTransport("127.0.0.1", server.port, timeout=5)),
        kwargs={"clock": clock, "watch": True, "interval": 0.05, "stop": stop,
                "on_report": on_report})
    thread.start()
    invite(service, 1)  # queued after the worker started
    thread.join(10)
    assert not thread.is_alive()
    assert seen and len(server.messages) == 1


def test_a_stopped_run_hands_claimed_rows_back_at_once(
    smtp_server: Server, service_factory: ServiceFactory, clock: FrozenClock
) -> None:
    server = smtp_server()
    service = service_factory(None)
    for n in range(5):
        invite(service, n)
    stop = threading.Event()

    class StopAfterOne(SMTPTransport):
        def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
            stop.set()  # as if Ctrl-C arrived while this message was on the wire
            return super().send(messages)

    with StopAfterOne("127.0.0.1", server.port, timeout=5) as transport:
        stopped = deliver(service.store, transport, clock=clock, batch=5, stop=stop)
    assert stopped.sent == 1
    queued = service.store.outbox(state=DeliveryState.QUEUED)
    assert len(queued) == 4 and all(r.lease_owner is None for r in queued)
    with SMTPTransport("127.0.0.1", server.port, timeout=5) as again:
        assert deliver(service.store, again, clock=clock).sent == 4  # no lease wait
    assert len(server.messages) == 5
