"""Record the results of a bulk run's sending threads, many per transaction.

Every sending thread of a bulk run would otherwise open a write transaction
per message and queue behind the others (and behind the batches being
queued) for SQLite's single write lock, instead of sending. Here the threads
hand each result to one :class:`Recorder` thread and go on sending; the
recorder writes whatever has arrived meanwhile in one transaction (group
commit). A result is recorded a few milliseconds after the server answered
instead of at once: a process killed in that window has sent a message that
is still queued under its lease, and it is sent again when the lease runs
out (at-least-once, as always; the Message-ID is the same). Nothing is lost.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from invitations.models import DeliveryState
from invitations.store.protocol import InvitationStore, ResultUpdate

#: At most this many results per transaction (keeps the write lock short).
GROUP = 200


class Recorder:
    """A thread that writes queued results; use as a context manager.

    Leaving the context writes everything handed over so far; an error of
    the store is raised there (and stops the recorder).
    """

    def __init__(self, store: InvitationStore) -> None:
        self.store = store
        self._pending: queue.SimpleQueue[ResultUpdate | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="bulk-recorder", daemon=True)
        self._error: BaseException | None = None

    def put(self, update: ResultUpdate) -> None:
        if self._error is not None:
            raise self._error
        self._pending.put(update)

    def _run(self) -> None:
        while (first := self._pending.get()) is not None:
            group = [first]
            stop = False
            while len(group) < GROUP:
                try:
                    item = self._pending.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                group.append(item)
            self._write(group)
            if stop:
                return

    def _write(self, group: Sequence[ResultUpdate]) -> None:
        if self._error is not None:
            return
        try:
            self.store.record_results(group)
        except BaseException as error:  # raised to the caller by put() and close()
            self._error = error

    def __enter__(self) -> Recorder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._pending.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def store_view(self) -> InvitationStore:
        """The store as :func:`invitations.delivery.worker.deliver` should see it: every
        call goes to the store, except that results go to this recorder."""
        return cast(InvitationStore, _Deferred(self))


class _Deferred:
    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder

    def record_result(self, row_id: int, *, owner: str | None, now: datetime,
                      state: DeliveryState, error: str | None = None,
                      next_attempt_at: datetime | None = None) -> bool:
        self._recorder.put(ResultUpdate(row_id, owner, now, state, error, next_attempt_at))
        return True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._recorder.store, name)
