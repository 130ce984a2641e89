"""Stop long-running commands cleanly on Ctrl-C or SIGTERM.

The first signal sets an event that the work loops check between messages,
so the message in flight is finished and recorded; a second Ctrl-C raises
:class:`KeyboardInterrupt` as usual (unsent mail stays queued either way).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import click

from invitations.i18n.formatting import Text
from invitations.i18n.texts import T_


@contextmanager
def stop_on_signals(stop: threading.Event, lang: str = "en") -> Iterator[threading.Event]:
    """Set ``stop`` on SIGINT/SIGTERM while the block runs (main thread only); what it
    says on the first signal is in ``lang``."""
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()
        click.echo(Text(T_(
            "stopping after the messages in flight; unsent mail stays queued "
            "(Ctrl-C again to abort now)")).message(lang), err=True)

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
