"""How fast a test learns that its mail arrived: pushed wait vs. polling.

The pytest plugin's ``Capture.wait_for`` holds one request open on devsmtp's
``GET /api/wait`` until the mail is stored. The usual alternative (what
helpers around Mailpit/MailHog or a hand-written loop do) lists the inbox
every ``POLL`` seconds. Both run here against the same in-process devsmtp;
the figure is the delay from the sender's ``250`` to the test seeing the mail.
"""

from __future__ import annotations

import smtplib
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from devsmtp.server import DevSMTP
from devsmtp.testing import Capture, DevSMTPClient

ROUNDS = 40
POLL = 0.1  # seconds; a common interval for polling helpers


def _send(port: int, to: str, subject: str, sent: list[float]) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.sendmail("bench@example.com", [to], f"Subject: {subject}\r\n\r\nhi\r\n".encode())
    sent.append(time.perf_counter())


def _poll(capture: Capture, to: str) -> None:
    for _ in range(int(10 / POLL)):
        if capture.client.summaries(to=to, after=capture.start, limit=1):
            return
        time.sleep(POLL)
    raise TimeoutError(to)


def _measure(capture: Capture, port: int, see: Callable[[Capture, str], object]) -> list[float]:
    delays = []
    for n in range(ROUNDS):
        to, sent = capture.address(f"r{n}-{see.__name__}"), list[float]()
        sender = threading.Thread(target=_send, args=(port, to, f"round {n}", sent))
        sender.start()
        see(capture, to)
        seen = time.perf_counter()
        sender.join()
        delays.append(max(0.0, seen - sent[0]) * 1000)
    return delays


def _push(capture: Capture, to: str) -> None:
    capture.wait_for(to=to, timeout=10)


def main() -> None:
    with tempfile.TemporaryDirectory() as data, DevSMTP(Path(data)) as server, \
            DevSMTPClient(server.api_url) as client:
        capture = Capture(client, "127.0.0.1", server.smtp_port)
        push = _measure(capture, server.smtp_port, _push)
        poll = _measure(capture, server.smtp_port, _poll)
    print(f"{'way of waiting':<28} {'median ms':>10} {'p95 ms':>10}")
    for name, delays in (("wait_for (push, /api/wait)", push),
                         (f"polling every {POLL * 1000:.0f} ms", poll)):
        p95 = statistics.quantiles(delays, n=20)[18]
        print(f"{name:<28} {statistics.median(delays):>10.1f} {p95:>10.1f}")
    ratio = statistics.median(poll) / max(statistics.median(push), 0.01)
    print(f"polling sees the mail {ratio:.1f}x later than wait_for (median, {ROUNDS} rounds)")


if __name__ == "__main__":
    main()
