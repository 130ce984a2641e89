"""Bulk invitations from CSV: validation with line numbers, parallel sending, Ctrl-C."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from click.testing import CliRunner

from invitations.cli import main
from invitations.delivery.bulk import CSVFormatError, RowProblem, send_csv, validate_csv
from invitations.models import DeliveryState, Role
from invitations.store import SQLiteInvitationStore
from invitations.transports import Transport, transport_from_url
from tests.delivery.conftest import BASE_URL, KEY, ServiceFactory
from tests.delivery.test_crash import CLI, kill
from tests.transports.smtpd import Scripted, Slow, SMTPServer

Server = Callable[..., SMTPServer]
HEADER = ["email", "first_name", "last_name", "languages", "role", "company_id",
          "company_name", "contract_number", "invited_by"]


def good_row(n: int) -> list[str]:
    return [f"user{n}@testi.fi", "Anna", "Ääkkönen", "fi,sv,en", "user", "0112038-9",
            "Testi Oy", "LOG-1", "paula@testi.fi"]


def write_csv(path: Path, rows: list[list[str]], *, delimiter: str = ",",
              header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_every_bad_row_is_reported_with_its_line(tmp_path: Path) -> None:
    rows = [
        good_row(1),                                                   # line 2
        ["not-an-address", *good_row(2)[1:]],                           # line 3
        [*good_row(3)[:5], "1234567-2", *good_row(3)[6:]],              # line 4
        [*good_row(4)[:1], "Multi\nline", *good_row(4)[2:]],            # lines 5-6
        [*good_row(5)[:4], "admin", *good_row(5)[5:]],                  # line 7
        [*good_row(6)[:7], "", *good_row(6)[8:]],                       # line 8
        good_row(1),                                                    # line 9
        [*good_row(7)[:3], "fi,de", *good_row(7)[4:]],                  # line 10
        ["", *good_row(8)[1:]],                                         # line 11
        good_row(9),                                                    # line 12
    ]
    problems: list[RowProblem] = []
    report = validate_csv(write_csv(tmp_path / "in.csv", rows), problems.append)
    assert (report.rows, report.invalid) == (10, 8)
    found = {p.line: [e.code for e in p.errors] for p in problems}
    assert found == {
        3: ["invalid_address"],
        4: ["invalid_business_id"],
        5: ["header_injection"],  # a record starts on line 5, ends on 6
        7: ["invalid_choice"],
        8: ["contract_number_required"],
        9: ["duplicate_row"],
        10: ["invalid_choice"],
        11: ["field_required"],
    }
    assert "rivillä 2" in problems[5].message("fi")  # the duplicate names the first line
    assert "Y-tunnus" in problems[1].message("fi")


def test_authorization_rules_apply_to_rows(tmp_path: Path) -> None:
    header = [*HEADER, "inviter_role"]
    rows = [
        [*good_row(1)[:4], "main_user", *good_row(1)[5:], "operator"],  # line 2: allowed
        [*good_row(2)[:4], "main_user", *good_row(2)[5:], "main_user"],  # line 3: refused
        [*good_row(3), "operator"],  # line 4: operators invite main users only
    ]
    problems: list[RowProblem] = []
    validate_csv(write_csv(tmp_path / "in.csv", rows, header=header), problems.append)
    assert [(p.line, p.errors[0].code) for p in problems] == [
        (3, "not_authorized"), (4, "not_authorized")
    ]


def test_header_problems_stop_before_any_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", [good_row(1)], header=["mail", *HEADER[1:]])
    with pytest.raises(CSVFormatError) as caught:
        validate_csv(path)
    assert "email" in caught.value.message("en")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(",".join(HEADER).encode() + b"\n" + "ä@x.fi".encode("latin-1") + b"\n")
    with pytest.raises(CSVFormatError, match="UTF-8"):
        validate_csv(latin1)


def test_semicolons_bom_and_spaced_languages(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "excel.csv", [[*good_row(1)[:3], "sv fi", *good_row(1)[4:]]],
                     delimiter=";")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert validate_csv(path).invalid == 0


def test_nothing_is_queued_when_a_row_is_bad(
    tmp_path: Path, service_factory: ServiceFactory, smtp_server: Server
) -> None:
    server = smtp_server()
    service = service_factory(None)
    path = write_csv(tmp_path / "in.csv", [good_row(1), ["bad", *good_row(2)[1:]]])
    report = send_csv(path, service=service, transport=f"smtp://127.0.0.1:{server.port}")
    assert (report.invalid, report.sent) == (1, 0)
    assert service.list() == [] and server.messages == []


def test_skip_invalid_sends_the_good_rows_over_parallel_connections(
    tmp_path: Path, service_factory: ServiceFactory, smtp_server: Server
) -> None:
    server = smtp_server(Slow())
    service = service_factory(None)
    rows = [good_row(n) for n in range(30)] + [["bad", *good_row(99)[1:]]]
    progress: list[tuple[int, int]] = []
    ready = threading.Barrier(3)

    def factory() -> Transport:
        if threading.current_thread() is not threading.main_thread():
            ready.wait(10)  # all three workers exist before the first chunk
        return transport_from_url(f"smtp://127.0.0.1:{server.port}")

    report = send_csv(
        write_csv(tmp_path / "in.csv", rows), service=service,
        transport=factory, workers=3, skip_invalid=True, batch=3,
        on_progress=lambda done, total: progress.append((done, total)),
    )
    assert (report.sent, report.queued, report.failed, report.skipped) == (30, 0, 0, 1)
    assert len(server.messages) == 30
    assert server.handler.connections == 3
    assert progress[-1] == (30, 30)
    assert {i.delivery_state for i in service.list()} == {DeliveryState.SENT}
    assert {i.role for i in service.list()} == {Role.USER}


def test_failures_and_retries_are_counted(
    tmp_path: Path, service_factory: ServiceFactory, smtp_server: Server
) -> None:
    server = smtp_server(Scripted(["550 5.1.1 No such user", "451 4.3.0 Later"]))
    service = service_factory(None)
    failures: list[tuple[str, str]] = []
    report = send_csv(write_csv(tmp_path / "in.csv", [good_row(n) for n in range(4)]),
                      service=service, transport=f"smtp://127.0.0.1:{server.port}",
                      on_failure=lambda what, reply: failures.append((what, reply)))
    assert (report.sent, report.queued, report.failed) == (2, 1, 1)
    assert failures and failures[0][1] == "550 5.1.1 No such user"


def test_rate_limit(tmp_path: Path, service_factory: ServiceFactory, smtp_server: Server) -> None:
    server = smtp_server()
    service = service_factory(None)
    started = time.monotonic()
    report = send_csv(write_csv(tmp_path / "in.csv", [good_row(n) for n in range(11)]),
                      service=service, transport=f"smtp://127.0.0.1:{server.port}", rate=25,
                      workers=2)
    assert report.sent == 11
    assert time.monotonic() - started >= 0.38  # 11 slots at 25/s span 0.4 s


def test_queue_only_leaves_everything_for_the_worker(
    tmp_path: Path, service_factory: ServiceFactory
) -> None:
    service = service_factory(None)
    report = send_csv(write_csv(tmp_path / "in.csv", [good_row(n) for n in range(3)]),
                      service=service, transport=None)
    assert (report.sent, report.unsent) == (0, 3)
    assert {i.delivery_state for i in service.list()} == {DeliveryState.QUEUED}


def env_for(db: Path, server: SMTPServer) -> dict[str, str]:
    return {**os.environ, "INVITATIONS_DB": str(db), "INVITATIONS_SECRET_KEYS": KEY,
            "INVITATIONS_BASE_URL": BASE_URL, "INVITATIONS_LANG": "en",
            "INVITATIONS_TRANSPORT": f"smtp://127.0.0.1:{server.port}?timeout=10"}


def test_cli_summary_and_exit_codes(tmp_path: Path, db: Path, smtp_server: Server) -> None:
    server = smtp_server()
    bad = write_csv(tmp_path / "bad.csv", [good_row(1), ["x", *good_row(2)[1:]]])
    runner = CliRunner()
    refused = runner.invoke(main, ["send-bulk", "--csv", str(bad)], env=env_for(db, server))
    assert refused.exit_code == 1
    assert "line 3: The e-mail address x is not valid" in refused.stderr
    assert "nothing was sent" in refused.stderr
    checked = runner.invoke(main, ["send-bulk", "--check", "--csv", str(bad), "--lang", "fi"],
                            env=env_for(db, server))
    assert checked.exit_code == 1 and "Sähköpostiosoite x ei kelpaa" in checked.stderr
    assert "2 riviä: 1 kelvollista, 1 virheellistä" in checked.stdout
    sent = runner.invoke(main, ["send-bulk", "--csv", str(bad), "--skip-invalid", "--json"],
                         env=env_for(db, server))
    assert sent.exit_code == 0, sent.output
    data = json.loads(sent.stdout)
    assert (data["sent"], data["skipped"], data["problems"][0]["line"]) == (1, 1, 3)
    assert len(server.messages) == 1


def test_cli_progress_lines_when_not_a_tty(tmp_path: Path, db: Path, smtp_server: Server) -> None:
    server = smtp_server()
    path = write_csv(tmp_path / "in.csv", [good_row(n) for n in range(5)])
    result = CliRunner().invoke(main, ["send-bulk", "--csv", str(path), "--workers", "2"],
                                env=env_for(db, server))
    assert result.exit_code == 0, result.output
    assert "5/5 100%" in result.stderr and "msg/s" in result.stderr
    assert "sent 5, queued for retry 0, failed 0, skipped 0" in result.stdout


def test_ctrl_c_leaves_unsent_rows_queued(tmp_path: Path, db: Path, smtp_server: Server) -> None:
    server = smtp_server(Slow())
    path = write_csv(tmp_path / "in.csv", [good_row(n) for n in range(400)])
    process = subprocess.Popen([*CLI, "send-bulk", "--csv", str(path), "--workers", "2"],
                               env=env_for(db, server), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        server.wait_for_messages(5, 60)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            kill(process)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    with SQLiteInvitationStore(db) as store:
        rows = store.outbox()
        sent = [r for r in rows if r.state is DeliveryState.SENT]
        queued = [r for r in rows if r.state is DeliveryState.QUEUED]
    assert len(sent) == len(server.messages)  # every sent mail is recorded as sent
    assert len(sent) + len(queued) == len(rows) and len(rows) < 400
    assert all(r.lease_owner is None for r in queued)  # ready for the next deliver
    assert f"sent {len(sent)}," in out


PEAK_RSS = """
import resource, sys
from invitations.delivery.bulk import validate_csv
report = validate_csv(sys.argv[1])
print(report.rows, report.invalid, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss_kb(path: Path) -> tuple[int, int, int]:
    done = subprocess.run([sys.executable, "-c", PEAK_RSS, str(path)], capture_output=True,
                          text=True, timeout=170, check=True)
    rows, invalid, peak = map(int, done.stdout.split())
    return rows, invalid, peak


def test_100000_rows_validate_in_constant_memory(tmp_path: Path) -> None:
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    write_csv(small, [good_row(n) for n in range(1_000)])
    with big.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(100_000):
            writer.writerow(good_row(n))
    assert big.stat().st_size > 9_000_000
    *_, small_peak = peak_rss_kb(small)
    rows, invalid, big_peak = peak_rss_kb(big)
    assert (rows, invalid) == (100_000, 0)
    # Only a 16-byte duplicate key per row is kept (about 12 MB for 100,000 rows);
    # the file itself (10 MB) is never held.
    assert big_peak - small_peak < 30_000, f"{small_peak} kB -> {big_peak} kB"


def test_send_with_csv_runs_the_bulk_path(tmp_path: Path, db: Path, smtp_server: Server) -> None:
    server = smtp_server()
    path = write_csv(tmp_path / "in.csv", [good_row(n) for n in range(3)])
    result = CliRunner().invoke(main, ["send", "--csv", str(path), "--workers", "2", "--json"],
                                env=env_for(db, server))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["sent"] == 3
    assert len(server.messages) == 3


def test_a_refused_row_tells_the_operator_mailbox(
    tmp_path: Path, service_factory: ServiceFactory, smtp_server: Server
) -> None:
    """Bulk rows name no inviter address: a 550 is told to the operator mailbox, and
    the notice goes out in the same run (not counted as an invitation sent)."""
    server = smtp_server(Scripted(rcpt={"user2@testi.fi": "550 5.1.1 User unknown"}))
    service = service_factory(None, operator_address="asiakaspalvelu@posti.fi")
    path = write_csv(tmp_path / "in.csv", [good_row(n) for n in range(1, 4)])
    report = send_csv(path, service=service, transport=f"smtp://127.0.0.1:{server.port}",
                      workers=2)
    assert (report.sent, report.failed) == (2, 1)
    notices = [m for m in server.messages if "asiakaspalvelu@posti.fi" in m.rcpt_tos]
    assert len(notices) == 1
    notice = message_from_bytes(notices[0].content, policy=policy.default)
    assert str(notice["Subject"]).startswith("Kutsu ei mennyt perille")
    text = notice.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "user2@testi.fi" in text
    assert len(server.messages) == 3
