"""AsyncInvitationService (invitations.aio): the service's methods as coroutines that
run the sync service in a bounded pool of threads, off the event loop, on SQLite and
on PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import inspect
import os
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

import invitations
from invitations import AccountRef, AccountRejected, FieldError
from invitations.aio import DEFAULT_MAX_THREADS, AsyncInvitationService
from invitations.clock import FrozenClock
from invitations.errors import (
    ConfigurationError,
    InvitationNotFound,
    InvitationRevoked,
    NotAuthorized,
    TokenTampered,
)
from invitations.models import Invitation, InvitationStatus, Inviter, Registration, Role
from invitations.service import InvitationService
from invitations.store import SQLiteInvitationStore, open_store
from tests.core.helpers import (
    ACME,
    BOSS,
    KEY,
    OTHER,
    START,
    RecordingTransport,
    link_in,
    registration,
    token_of,
)
from tests.pg import pg_server, pg_url  # noqa: F401  (fixtures)

T = TypeVar("T")
#: How long a test waits for a condition before it fails (never reached when green).
PATIENCE = 20.0


@pytest.fixture(params=["sqlite", "postgresql"])
def sync_service(request: pytest.FixtureRequest, clock: FrozenClock,
                 transport: RecordingTransport, tmp_path: Path) -> Iterator[InvitationService]:
    """The sync service the async one wraps, on a SQLite file or a PostgreSQL schema."""
    if request.param == "sqlite":
        store = SQLiteInvitationStore(tmp_path / "invitations.db")
    else:
        store = open_store(request.getfixturevalue("pg_url"))
    service = InvitationService([KEY], "http://127.0.0.1:8000/", transport, store=store,
                                clock=clock, close_store=True)
    yield service
    service.close()


class GatedAccounts:
    """An AccountCreator that records who runs it, and at most how many at once, and
    holds every call at ``gate`` until the test opens it."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.active = 0
        self.most = 0
        self.threads: set[str] = set()
        self.lock = threading.Lock()

    def create_account(self, invitation: Invitation, registration: Registration) -> AccountRef:
        with self.lock:
            self.active += 1
            self.most = max(self.most, self.active)
            self.threads.add(threading.current_thread().name)
        try:
            if not self.gate.wait(PATIENCE):
                raise AssertionError("the gate was never opened")
            return AccountRef(f"acc-{invitation.id}")
        finally:
            with self.lock:
                self.active -= 1

    def enable_account(self, invitation: Invitation, account: AccountRef) -> None:
        pass


async def until(condition: Callable[[], bool], what: str) -> None:
    """Let the loop run until ``condition`` holds; fail after :data:`PATIENCE`."""
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.005)


def run(coroutine: Awaitable[T]) -> T:
    """Run ``coroutine`` on a loop of its own, in a thread of its own: this worker's
    main thread may already run a loop (Playwright's sync API, in the full suite)."""
    async def main() -> T:
        return await coroutine

    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, main()).result()


def pool_threads(service: AsyncInvitationService) -> list[threading.Thread]:
    return [t for t in threading.enumerate()
            if t.name.startswith(service.thread_name_prefix + "_")]


def test_every_public_method_of_the_service_is_a_coroutine_with_its_signature() -> None:
    names = {n for n, v in vars(InvitationService).items()
             if callable(v) and not n.startswith("_")}
    # Plumbing that does no I/O of its own (hooks and a pure rewrite), reached through
    # ``AsyncInvitationService.service``; everything else must be a coroutine here.
    plumbing = {"with_return_path", "delivery_result", "result_hook"}
    assert plumbing <= names
    names -= plumbing
    assert names == {"send_invite", "verify", "redeem", "confirm_email", "resend", "revoke",
                     "get", "list", "deliver_queued", "draft", "close", "record_bounce",
                     "notify_undeliverable", "send_now"}
    for name in names:
        method = getattr(AsyncInvitationService, name)
        assert inspect.iscoroutinefunction(method), name
        sync = inspect.signature(getattr(InvitationService, name))
        assert inspect.signature(method).parameters == sync.parameters, name
    assert inspect.iscoroutinefunction(AsyncInvitationService.__aenter__)
    assert invitations.AsyncInvitationService is AsyncInvitationService


def test_the_whole_lifecycle_through_the_coroutines(sync_service: InvitationService,
                                                    transport: RecordingTransport,
                                                    clock: FrozenClock) -> None:
    accounts = GatedAccounts()
    accounts.gate.set()

    async def story() -> None:
        async with AsyncInvitationService(sync_service, close_service=False) as service:
            sent = await service.send_invite("matti@acme.fi", company=ACME, invited_by=BOSS)
            assert sent.status is InvitationStatus.PENDING and sent.link
            token = token_of(transport.links()[-1])
            assert (await service.verify(token)).id == sent.id
            # A changed address: the account is made disabled, then confirmed.
            redeemed = await service.redeem(
                token, registration("matti.uusi@acme.fi"), accounts=accounts)
            assert redeemed.status is InvitationStatus.AWAITING_CONFIRMATION
            confirm = token_of(link_in(transport.sent[-1].data))
            accepted = await service.confirm_email(confirm, accounts=accounts)
            assert accepted.status is InvitationStatus.ACCEPTED
            assert accepted.account_id == f"acc-{sent.id}"

            other = await service.send_invite("liisa@acme.fi", company=ACME, invited_by=BOSS,
                                              deliver=False)
            assert await service.deliver_queued() == 1
            clock.advance(hours=1)
            again = await service.resend(other.id, by=BOSS)
            assert again.resend_count == 1 and again.issued_at > other.issued_at
            revoked = await service.revoke(other.id, by=BOSS)
            assert revoked.status is InvitationStatus.REVOKED
            assert (await service.get(sent.id)).status is InvitationStatus.ACCEPTED
            listed = await service.list(ACME, "revoked")
            assert [i.id for i in listed] == [other.id]
            assert await service.list(OTHER) == []

            draft = await service.draft("uusi@acme.fi", ACME, BOSS, Role.USER, ("smartship",),
                                        ("fi",), None, None, clock.now())
            assert draft.invitation.email == "uusi@acme.fi" and "token=" in draft.link

    run(story())
    assert len(transport.sent) == 4  # two invitations, one resend, one confirmation


def test_at_most_max_threads_calls_run_at_once(sync_service: InvitationService,
                                               transport: RecordingTransport) -> None:
    tokens = []
    for n in range(6):
        sync_service.send_invite(f"user{n}@acme.fi", company=ACME, invited_by=BOSS)
        tokens.append(token_of(transport.links()[-1]))
    accounts = GatedAccounts()

    async def story() -> list[Invitation]:
        async with AsyncInvitationService(sync_service, max_threads=2,
                                          close_service=False) as service:
            calls = [asyncio.create_task(service.redeem(
                token, registration(f"user{n}@acme.fi"), accounts=accounts))
                for n, token in enumerate(tokens)]
            await until(lambda: accounts.active == 2, "two calls are in create_account")
            # All six calls are submitted; a pool of more than two would have started
            # a thread for each of them by now (the first two hold theirs at the gate).
            assert len(pool_threads(service)) == 2
            assert accounts.active == 2 and not any(c.done() for c in calls)
            accounts.gate.set()
            return await asyncio.gather(*calls)

    done = run(story())
    assert [i.status for i in done] == [InvitationStatus.ACCEPTED] * 6
    assert accounts.most == 2
    assert len(accounts.threads) == 2


def test_the_loop_keeps_ticking_while_a_call_is_slow(sync_service: InvitationService,
                                                     transport: RecordingTransport) -> None:
    sync_service.send_invite("matti@acme.fi", company=ACME, invited_by=BOSS)
    token = token_of(transport.links()[-1])
    accounts = GatedAccounts()
    ticks: list[float] = []

    async def heartbeat() -> None:
        while True:
            ticks.append(time.monotonic())
            if len(ticks) >= 20:
                # The slow call may end only once the loop has ticked 20 times
                # while it was running: a call on the loop would never get here.
                accounts.gate.set()
            await asyncio.sleep(0.005)

    async def story() -> Invitation:
        async with AsyncInvitationService(sync_service, close_service=False) as service:
            call = asyncio.create_task(service.redeem(token, registration(),
                                                      accounts=accounts))
            await until(lambda: accounts.active == 1, "create_account runs")
            beating = asyncio.create_task(heartbeat())
            try:
                return await call
            finally:
                beating.cancel()

    invitation = run(story())
    assert invitation.status is InvitationStatus.ACCEPTED
    assert len(ticks) >= 20 and accounts.most == 1


def test_exceptions_come_back_with_their_type(sync_service: InvitationService,
                                              transport: RecordingTransport) -> None:
    sent = sync_service.send_invite("matti@acme.fi", company=ACME, invited_by=BOSS)
    token = token_of(transport.links()[-1])
    refusal = AccountRejected([FieldError("username", "username_taken")])

    class Refusing(GatedAccounts):
        def create_account(self, invitation: Invitation, registration: Registration
                           ) -> AccountRef:
            raise refusal

    stranger = Inviter("someone@muu.fi", "Muu", Role.MAIN_USER, OTHER.business_id)

    async def story() -> None:
        async with AsyncInvitationService(sync_service, close_service=False) as service:
            with pytest.raises(AccountRejected) as rejected:
                await service.redeem(token, registration(), accounts=Refusing())
            assert rejected.value is refusal
            assert rejected.value.errors[0].message("fi").startswith("Tämä käyttäjätunnus")
            with pytest.raises(TokenTampered):
                await service.verify(token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB"))
            with pytest.raises(NotAuthorized):
                await service.revoke(sent.id, by=stranger)
            with pytest.raises(InvitationNotFound):
                await service.get("0" * 32)
            assert (await service.revoke(sent.id, by=BOSS)).status is InvitationStatus.REVOKED
            with pytest.raises(InvitationRevoked):
                await service.verify(token)

    run(story())
    # The refusal left the invitation as it was, and nothing was sent besides the invite.
    assert sync_service.get(sent.id).account_id is None
    assert len(transport.sent) == 1


def test_close_waits_for_the_calls_made_then_shuts_the_pool_and_the_service(
        sync_service: InvitationService, transport: RecordingTransport,
        monkeypatch: pytest.MonkeyPatch) -> None:
    sync_service.send_invite("matti@acme.fi", company=ACME, invited_by=BOSS)
    token = token_of(transport.links()[-1])
    accounts = GatedAccounts()
    closed: list[str] = []
    real_close = sync_service.close

    def close() -> None:
        closed.append(threading.current_thread().name)
        real_close()

    monkeypatch.setattr(sync_service, "close", close)

    async def story() -> tuple[Invitation, AsyncInvitationService]:
        service = AsyncInvitationService(sync_service, max_threads=3)
        assert not service.closed and "open" in repr(service)
        call = asyncio.create_task(service.redeem(token, registration(), accounts=accounts))
        await until(lambda: accounts.active == 1, "create_account runs")
        closing = asyncio.create_task(service.close())
        await until(lambda: service.closed, "close() has begun")
        with pytest.raises(RuntimeError, match="closed"):
            await service.get("x")  # no new call once closing
        assert not closing.done() and closed == []  # the running call is waited for
        accounts.gate.set()
        invitation = await call
        await closing
        await service.close()  # a second close does nothing
        return invitation, service

    invitation, service = run(story())
    assert invitation.status is InvitationStatus.ACCEPTED
    assert pool_threads(service) == []
    assert len(closed) == 1 and not closed[0].startswith(service.thread_name_prefix)
    assert "closed" in repr(service)


def test_the_service_is_left_open_when_asked(sync_service: InvitationService) -> None:
    async def story() -> AsyncInvitationService:
        async with AsyncInvitationService(sync_service, close_service=False) as service:
            await service.list()
        return service

    service = run(story())
    assert service.closed and pool_threads(service) == []
    assert sync_service.list() == []  # still usable


def test_context_variables_reach_the_thread(sync_service: InvitationService) -> None:
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")
    seen: list[tuple[str, str]] = []
    real_list = sync_service.list

    def spying_list(*args: Any) -> list[Invitation]:
        seen.append((request_id.get("unset"), threading.current_thread().name))
        return real_list(*args)

    sync_service.list = spying_list  # type: ignore[method-assign]

    async def story() -> str:
        async with AsyncInvitationService(sync_service, close_service=False) as service:
            request_id.set("req-42")
            await service.list()
            return service.thread_name_prefix

    prefix = run(story())
    [(value, thread)] = seen
    assert value == "req-42" and thread.startswith(prefix)


@pytest.mark.parametrize("bad", [0, -1, True, 2.5, "2"])
def test_max_threads_must_be_a_positive_whole_number(bad: Any,
                                                     service: InvitationService) -> None:
    with pytest.raises(ConfigurationError, match="max_threads"):
        AsyncInvitationService(service, max_threads=bad)
    unbounded = AsyncInvitationService(service, close_service=False)
    assert unbounded.max_threads == DEFAULT_MAX_THREADS
    run(unbounded.close())


def _open_files(path: Path) -> int:
    """How many file descriptors of this process point at ``path`` (or its -wal/-shm)."""
    names = {str(path), f"{path}-wal", f"{path}-shm"}
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            count += os.readlink(f"/proc/self/fd/{fd}") in names
    return count


def test_sqlite_connections_of_finished_threads_are_closed(tmp_path: Path) -> None:
    """The store opens one connection per thread. A pool that retires idle threads
    (anyio's, under the registration pages) must not leave their connections open
    until the store closes: 20 short-lived threads leave none behind."""
    path = tmp_path / "invitations.db"
    store = SQLiteInvitationStore(path)
    try:
        reading = lambda: store.get("0" * 32, now=START)  # noqa: E731
        reading()
        before = _open_files(path)
        for _ in range(20):
            thread = threading.Thread(target=reading)
            thread.start()
            thread.join()
        del thread
        gc.collect()
        # SQLite may keep one closed descriptor of the file for reuse while another
        # connection of the process holds its locks; 20 open connections would be 40+.
        assert _open_files(path) <= before + 1
        reading()  # this thread's own connection is still there and works
    finally:
        store.close()
    assert _open_files(path) == 0
