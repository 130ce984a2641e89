"""The CLI against a real `devsmtp serve` subprocess; kill -9 durability."""

from __future__ import annotations

import json
import os
import signal
import smtplib
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from devsmtp import DevSMTP, Query

from .conftest import make_message

DEVSMTP = [sys.executable, "-m", "devsmtp"]


def start_serve(data: Path, *extra: str
                ) -> tuple[subprocess.Popen[bytes], dict[str, object], str]:
    """Start ``devsmtp serve``; return once it printed its first line (it listens then)."""
    process = subprocess.Popen(
        [*DEVSMTP, "serve", "--smtp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data",
         str(data), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    # serve prints after every port listens and ports.json is written; EOF if it died.
    first_line = process.stdout.readline().decode()
    ports_file = data / "ports.json"
    if process.poll() is not None or not ports_file.exists():
        process.kill()
        out, err = process.communicate(timeout=10)
        pytest.fail(f"devsmtp serve did not start: {out!r} {err!r}")
    return process, json.loads(ports_file.read_text()), first_line


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, dict[str, object]]]:
    process, ports, _ = start_serve(tmp_path)
    try:
        yield tmp_path, ports
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
        assert process.returncode == 0
        assert not (tmp_path / "ports.json").exists()


def cli(data: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*DEVSMTP, *args, "--data", str(data)], capture_output=True,
                            text=True, timeout=60, check=False)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def smtp_send(ports: dict[str, object], to: str, subject: str) -> None:
    with smtplib.SMTP("127.0.0.1", int(str(ports["smtp_port"])), timeout=30) as client:
        client.sendmail("cli@example.com", [to], make_message(to=to, subject=subject))


def test_serve_prints_and_writes_ports(tmp_path: Path) -> None:
    process, ports, line = start_serve(tmp_path)
    try:
        assert f"SMTP 127.0.0.1:{ports['smtp_port']}" in line
        assert ports["pid"] == process.pid
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert process.returncode == 0


def test_list_show_wait_clear(served: tuple[Path, dict[str, object]]) -> None:
    data, ports = served
    smtp_send(ports, "one@example.com", "Kutsu käyttäjäksi")
    listed = json.loads(cli(data, "list", "--json").stdout)
    assert [m["subject"] for m in listed["messages"]] == ["Kutsu käyttäjäksi"]
    assert "Kutsu käyttäjäksi" in cli(data, "list", "--to", "one@example.com").stdout
    assert cli(data, "list", "--to", "two@example.com").stdout == ""
    shown = cli(data, "show", "1").stdout
    assert "Envelope: cli@example.com -> one@example.com" in shown
    assert "Subject: Kutsu käyttäjäksi" in cli(data, "show", "1", "--headers").stdout
    raw = subprocess.run([*DEVSMTP, "show", "1", "--raw", "--data", str(data)],
                         capture_output=True, timeout=60, check=True).stdout
    assert raw == make_message(to="one@example.com", subject="Kutsu käyttäjäksi")
    waited = json.loads(cli(data, "wait", "--to", "one@example.com", "--json").stdout)
    assert waited["messages"][0]["id"] == 1
    timeout = cli(data, "wait", "--to", "nobody@example.com", "--timeout", "0.2", check=False)
    assert timeout.returncode == 1
    assert "what did arrive" in timeout.stderr
    assert cli(data, "clear", "--to", "one@example.com").stdout.strip() == "deleted 1"
    missing = cli(data, "show", "1", check=False)
    assert missing.returncode != 0 and "does not exist" in missing.stderr


def test_fault_commands(served: tuple[Path, dict[str, object]]) -> None:
    data, ports = served
    rule_id = cli(data, "fault", "add", "--stage", "rcpt", "--code", "451", "--times", "1",
                  "--to", "flaky@example.com").stdout.strip()
    assert rule_id == "f1"
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        smtp_send(ports, "flaky@example.com", "first")
    smtp_send(ports, "flaky@example.com", "second")
    assert "fired=1" in cli(data, "fault", "list").stdout
    assert cli(data, "fault", "clear", rule_id).stdout.strip() == "deleted 1"
    assert json.loads(cli(data, "fault", "list", "--json").stdout) == {"rules": []}


def test_release_command(tmp_path: Path) -> None:
    with DevSMTP(tmp_path / "relay") as relay:
        process, ports, _ = start_serve(tmp_path / "capture", "--relay",
                                     f"127.0.0.1:{relay.smtp_port}", "--relay-allow",
                                     "@allowed.example")
        try:
            data = tmp_path / "capture"
            smtp_send(ports, "qa@example.com", "to release")
            refused = cli(data, "release", "1", "--to", "x@elsewhere.example", check=False)
            assert refused.returncode != 0
            assert "allow-list" in refused.stderr
            done = cli(data, "release", "1", "--to", "real@allowed.example").stdout
            assert done.startswith("released 1 to real@allowed.example")
        finally:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=30)
        (released,) = relay.store.list().messages
        assert released.envelope.rcpt_to == ("real@allowed.example",)
        assert released.summary.subject == "to release"


def test_unreachable_server_is_explained(tmp_path: Path) -> None:
    result = cli(tmp_path, "list", check=False)
    assert result.returncode != 0
    assert "devsmtp serve" in result.stderr


def test_serve_refuses_open_http_without_password(tmp_path: Path) -> None:
    result = subprocess.run([*DEVSMTP, "serve", "--smtp", "127.0.0.1:0", "--http", "0.0.0.0:0",
                             "--data", str(tmp_path)], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode != 0
    assert "--ui-password" in result.stderr


def test_kill_9_loses_no_acknowledged_message(tmp_path: Path) -> None:
    process, ports, _ = start_serve(tmp_path)
    acked: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    enough = threading.Event()

    def client(n: int) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", int(str(ports["smtp_port"])), timeout=30) as smtp:
                for m in range(2000):  # bounded; the kill ends it much earlier
                    if stop.is_set():
                        return
                    subject = f"k{n}-{m}"
                    smtp.sendmail("load@example.com", ["kill@example.com"],
                                  make_message(subject=subject))
                    with lock:
                        acked.append(subject)
                        if len(acked) >= 400:
                            enough.set()
        except (smtplib.SMTPException, OSError):
            return

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    enough.wait(60)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)
    stop.set()
    for thread in threads:
        thread.join(60)
    assert len(acked) >= 400
    with DevSMTP(tmp_path) as server:
        stored = {m.summary.subject for m in server.store.list(Query(), limit=100_000).messages}
    missing = set(acked) - stored
    assert not missing, f"{len(missing)} acknowledged messages lost"


@pytest.mark.parametrize("level", ["info", "debug"])
def test_serve_logs_json_lines_addresses_only_at_debug(tmp_path: Path, level: str) -> None:
    process, ports, _ = start_serve(tmp_path, "--log-level", level, "--log-format", "json")
    try:
        smtp_send(ports, "loki@example.com", "Hei")
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    lines = [json.loads(line) for line in err.decode().splitlines() if line.startswith("{")]
    stored = [line for line in lines if line["logger"] == "devsmtp.smtp"
              and line["message"].startswith("message 1 stored")]
    assert stored and stored[0]["level"] == "INFO" and stored[0]["devsmtp_id"] == 1
    at_info = [line for line in lines if line["level"] != "DEBUG"]
    assert not any("loki@example.com" in json.dumps(line) for line in at_info)
    assert any("loki@example.com" in line["message"] for line in lines) is (level == "debug")
