"""``invitations deliver --watch --metrics 127.0.0.1:PORT`` on either backend."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.core.helpers import START
from tests.pg import free_port
from tests.store.conftest import Backend
from tests.store.test_contract import message, record


def _sent_reported(process: subprocess.Popen[str], count: int) -> None:
    """Read the worker's progress lines (stderr) until ``count`` messages were sent."""
    assert process.stderr is not None
    sent = 0
    while sent < count:
        line = process.stderr.readline()
        assert line, "the worker stopped before sending"
        found = re.search(r" sent (\d+),", line)
        sent += int(found.group(1)) if found else 0


def test_metrics_of_a_watching_worker(backend: Backend, tmp_path: Path) -> None:
    with backend.open() as store:
        for n in (1, 2):
            store.add(record(n), nonce_hash="h", message=message(n), now=START)
    port = free_port()
    env = {**os.environ, "INVITATIONS_DB": backend.url, "INVITATIONS_TRANSPORT": "null://"}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "invitations"), "deliver", "--watch", "--interval",
         "0.2", "--metrics", f"127.0.0.1:{port}"], env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _sent_reported(process, 2)  # counted before the progress line is printed
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        assert re.search(r'^invitations_delivery_messages_total\{outcome="sent"\} 2\.0$',
                         text, re.M), text
        assert re.search(r'^invitations_outbox_rows\{state="sent"\} 2\.0$', text, re.M), text
        assert re.search(r'^invitations_outbox_rows\{state="lease_expired"\} 0\.0$', text, re.M)
        assert re.search(r"^invitations_delivery_seconds_count 2\.0$", text, re.M), text
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Traceback" not in err
