"""The service for asyncio applications: :class:`AsyncInvitationService`.

Every method of :class:`~invitations.service.InvitationService` as a coroutine. The
sync service does the work in a thread pool of this object's own, at most
``max_threads`` threads, so the event loop never waits for the database, the SMTP
relay or the host's ``create_account``::

    service = AsyncInvitationService(InvitationService(keys, base_url, transport))
    invitation = await service.send_invite(email, company=company, invited_by=inviter)
    await service.close()          # or: async with AsyncInvitationService(...) as service:

What the bound means for the store:

- SQLite (a file): the store keeps one connection per thread, so the pool opens at
  most ``max_threads`` connections, reused for the pool's life; writes queue for the
  file's one writer in the store, not on the loop. (A ``":memory:"`` store has one
  connection, shared under a lock.)
- PostgreSQL: each call holds one pooled connection for one statement or
  transaction; keep ``max_threads`` at most the store's pool size (8 by default),
  or the surplus threads wait for a connection.

Exceptions come back as raised, with their types (an
:class:`~invitations.errors.InvitationError` subclass, ``AccountRejected`` from the
host ...). A cancelled coroutine does not stop its call: a thread cannot be
interrupted, so the call finishes (and commits) in the pool; only its result is
dropped.
"""

from __future__ import annotations

import asyncio
import builtins
import contextvars
import functools
import itertools
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from types import TracebackType
from typing import ParamSpec, TypeVar

from invitations.accounts import AccountCreator
from invitations.bounces.record import BounceOutcome
from invitations.errors import ConfigurationError
from invitations.models import Company, Invitation, InvitationStatus, Inviter, Registration, Role
from invitations.service import Draft, InvitationService
from invitations.undeliverable import UndeliverableReason

__all__ = ["DEFAULT_MAX_THREADS", "AsyncInvitationService"]

#: Threads per service when not told otherwise: enough to overlap a slow relay or a
#: slow ``create_account`` with other calls, few enough for SQLite's one writer.
DEFAULT_MAX_THREADS = 4

_P = ParamSpec("_P")
_T = TypeVar("_T")
_serial = itertools.count(1)


class AsyncInvitationService:
    """:class:`~invitations.service.InvitationService` with coroutine methods.

    ``service`` does the work, in at most ``max_threads`` threads of a pool this
    object owns (named ``invitations-aio-<n>_<i>``). :meth:`close` waits for the calls
    already made, shuts the pool down and, when ``close_service`` (the default), closes
    ``service`` too. The sync service stays usable as :attr:`service`, e.g. for
    :func:`invitations.web.create_app`, which runs it off the loop by itself.
    """

    def __init__(self, service: InvitationService, *, max_threads: int = DEFAULT_MAX_THREADS,
                 close_service: bool = True) -> None:
        if isinstance(max_threads, bool) or not isinstance(max_threads, int) or max_threads < 1:
            raise ConfigurationError(f"max_threads must be a whole number of at least 1, "
                                     f"got {max_threads!r}")
        self.service = service
        self.max_threads = max_threads
        self.close_service = close_service
        self.thread_name_prefix = f"invitations-aio-{next(_serial)}"
        self._executor = ThreadPoolExecutor(max_workers=max_threads,
                                            thread_name_prefix=self.thread_name_prefix)
        self._closed = False
        self._lock = threading.Lock()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called (no new call is taken)."""
        return self._closed

    async def _run(self, function: Callable[_P, _T], /, *args: _P.args,
                   **kwargs: _P.kwargs) -> _T:
        """``function(*args, **kwargs)`` in the pool, in a copy of this task's context
        (context variables, e.g. a request id for logging, reach the thread)."""
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        call = functools.partial(context.run, function, *args, **kwargs)
        with self._lock:  # no call slips in between close() and the pool's shutdown
            if self._closed:
                raise RuntimeError("this AsyncInvitationService is closed")
            future = loop.run_in_executor(self._executor, call)
        return await future

    # -- the service's methods, as coroutines ------------------------------------

    async def send_invite(
        self,
        email: str,
        *,
        company: Company,
        invited_by: Inviter,
        role: Role | str = Role.USER,
        services: Sequence[str] = ("smartship",),
        languages: Sequence[str] | str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        deliver: bool = True,
    ) -> Invitation:
        """Await :meth:`~invitations.service.InvitationService.send_invite`."""
        return await self._run(
            self.service.send_invite, email, company=company, invited_by=invited_by,
            role=role, services=services, languages=languages, first_name=first_name,
            last_name=last_name, deliver=deliver,
        )

    async def verify(self, token: str) -> Invitation:
        """Await :meth:`~invitations.service.InvitationService.verify`."""
        return await self._run(self.service.verify, token)

    async def redeem(self, token: str, registration: Registration, *,
                     accounts: AccountCreator | None = None) -> Invitation:
        """Await :meth:`~invitations.service.InvitationService.redeem`:
        ``accounts.create_account`` runs in the pool's thread, never on the loop."""
        return await self._run(self.service.redeem, token, registration, accounts=accounts)

    async def confirm_email(self, token: str, *, accounts: AccountCreator | None = None
                            ) -> Invitation:
        """Await :meth:`~invitations.service.InvitationService.confirm_email`."""
        return await self._run(self.service.confirm_email, token, accounts=accounts)

    async def resend(self, invitation_id: str, *, by: Inviter, email: str | None = None
                     ) -> Invitation:
        """Await :meth:`~invitations.service.InvitationService.resend`."""
        return await self._run(self.service.resend, invitation_id, by=by, email=email)

    async def revoke(self, invitation_id: str, *, by: Inviter) -> Invitation:
        """Await :meth:`~invitations.service.InvitationService.revoke`."""
        return await self._run(self.service.revoke, invitation_id, by=by)

    async def get(self, invitation_id: str) -> Invitation:
        """Await :meth:`~invitations.service.InvitationService.get`."""
        return await self._run(self.service.get, invitation_id)

    async def list(self, company: Company | str | None = None,
                   status: InvitationStatus | str | None = None) -> builtins.list[Invitation]:
        """Await :meth:`~invitations.service.InvitationService.list`."""
        return await self._run(self.service.list, company, status)

    async def deliver_queued(self, limit: int = 100) -> int:
        """Await :meth:`~invitations.service.InvitationService.deliver_queued`."""
        return await self._run(self.service.deliver_queued, limit)

    async def record_bounce(self, raw: bytes, *, recipients: Sequence[str] = ()
                            ) -> BounceOutcome:
        """Await :meth:`~invitations.service.InvitationService.record_bounce`."""
        return await self._run(self.service.record_bounce, raw, recipients=recipients)

    async def notify_undeliverable(self, invitation_id: str, reason: UndeliverableReason | str,
                                   diagnostic: str) -> None:
        """Await :meth:`~invitations.service.InvitationService.notify_undeliverable`."""
        await self._run(self.service.notify_undeliverable, invitation_id, reason, diagnostic)

    async def send_now(self, message_ids: builtins.list[str]) -> None:
        """Await :meth:`~invitations.service.InvitationService.send_now`."""
        await self._run(self.service.send_now, message_ids)

    async def draft(self, address: str, company: Company, inviter: Inviter, role: Role,
                    services: tuple[str, ...], languages: tuple[str, ...], first: str | None,
                    last: str | None, now: datetime) -> Draft:
        """Await :meth:`~invitations.service.InvitationService.draft`."""
        return await self._run(self.service.draft, address, company, inviter, role, services,
                               languages, first, last, now)

    # -- life --------------------------------------------------------------------

    async def close(self) -> None:
        """Take no new call, let the calls already made finish, shut the pool down and
        (with ``close_service``) close the service. The loop keeps running meanwhile;
        calling it again does nothing."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        # Waiting for the pool blocks: do it in a thread of its own, not on the loop.
        await asyncio.to_thread(self._shutdown)

    def _shutdown(self) -> None:
        self._executor.shutdown(wait=True)
        if self.close_service:
            self.service.close()

    async def __aenter__(self) -> AsyncInvitationService:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<AsyncInvitationService max_threads={self.max_threads} {state}>"
