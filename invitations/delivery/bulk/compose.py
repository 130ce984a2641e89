"""Compose invitation mail in helper processes, for bulk runs.

Composing is pure CPU work, and threads share one interpreter lock; a bulk
run therefore hands batches of :class:`InvitationEmail` to child interpreters
(``python -m invitations.delivery.bulk.compose``) and gets the finished messages back.
The children are plain subprocesses talking over their stdin/stdout pipes,
not ``multiprocessing`` workers: nothing is forked from a threaded process,
and the caller's main module is never imported again (a script without an
``if __name__ == "__main__"`` guard works). A child that dies costs nothing
but speed: its batch is composed in this process instead.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO

from invitations.errors import InvitationError
from invitations.models import OutgoingMessage
from invitations.rendering import InvitationEmail, compose_invitation
from invitations.rendering.batch import BatchComposer

_HEADER = struct.Struct("!I")
Composed = list[OutgoingMessage | None]


_composers = threading.local()


def compose_all(emails: Sequence[InvitationEmail]) -> Composed:
    """Compose each mail; ``None`` where it failed (the caller redoes that row the
    ordinary way, so that the precise error reaches the operator).

    Rows of one group (same inviter, company, languages, expiry minute) share
    one rendering of the templates: :class:`~invitations.rendering.batch.BatchComposer`.
    """
    composer = getattr(_composers, "composer", None)
    if composer is None:
        composer = _composers.composer = BatchComposer()
    messages: Composed = []
    for email in emails:
        try:
            messages.append(composer.compose(email))
        except InvitationError:
            messages.append(None)
    return messages


def _send(stream: IO[bytes], value: object) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> object | None:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        return None
    # Only our own child (or parent) writes this pipe.
    value: object = pickle.loads(data)
    return value


class _Child:
    def __init__(self) -> None:
        # The child sees the same import path as this process (a checkout works too).
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "invitations.delivery.bulk.compose"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
            start_new_session=True,  # a terminal's Ctrl-C is for the parent to handle
        )  # fmt: skip
        self.alive = True

    def compose(self, emails: Sequence[InvitationEmail]) -> Composed:
        assert self.process.stdin is not None and self.process.stdout is not None
        if self.alive:
            try:
                _send(self.process.stdin, list(emails))
                reply = _receive(self.process.stdout)
                if isinstance(reply, list) and len(reply) == len(emails):
                    return reply
            except OSError:
                pass
            self.alive = False
        return compose_all(emails)

    def close(self, timeout: float = 10.0) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        with contextlib.suppress(OSError):
            self.process.stdin.close()  # end of input: the child exits
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)
        self.process.stdout.close()


class ComposePool:
    """``processes`` child composers; :meth:`submit` returns a future of one batch."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._idle: queue.SimpleQueue[_Child] = queue.SimpleQueue()
        self._children = [_Child() for _ in range(processes)]
        for child in self._children:
            self._idle.put(child)
        # One thread per child waits on its pipe (the wait releases the lock).
        self._threads = ThreadPoolExecutor(processes, thread_name_prefix="compose")

    def submit(self, emails: Sequence[InvitationEmail]) -> Future[Composed]:
        return self._threads.submit(self._compose, emails)

    def _compose(self, emails: Sequence[InvitationEmail]) -> Composed:
        child = self._idle.get()
        try:
            return child.compose(emails)
        finally:
            self._idle.put(child)

    def close(self) -> None:
        self._threads.shutdown(wait=True, cancel_futures=True)
        for child in self._children:
            child.close()

    def __enter__(self) -> ComposePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _serve() -> None:
    """The child: read batches from stdin, write composed messages to stdout."""
    # Ctrl-C reaches the whole process group; stopping is the parent's decision.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Composing is throughput work; the sending threads wait on replies and
    # should get a CPU the moment one arrives.
    with contextlib.suppress(OSError):
        os.nice(5)
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the pipe
    from invitations.rendering.samples import sample_invitation

    compose_invitation(sample_invitation())  # templates compiled, catalogs loaded
    while (emails := _receive(requests)) is not None:
        assert isinstance(emails, list)
        _send(replies, compose_all(emails))


if __name__ == "__main__":
    _serve()
