"""PostgreSQL against SQLite, in one run (ratios; absolute figures are noisy here).

- ``send_invite`` (null transport) on PostgreSQL over its unix socket vs SQLite (WAL).
- ``deliver`` throughput against devsmtp: PostgreSQL with 1, 2 and 4 workers vs
  SQLite with 1, and this process's CPU per message.
- The claim query's plan (``EXPLAIN``) and its cost with 10k vs 200k delivered rows.

The server is a throw-away one (:mod:`tests.pg`) with fsync on and
``synchronous_commit = off``: the durability of SQLite's ``synchronous = NORMAL``
in WAL mode (a crash may lose the last commits, never corrupts).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from invitations.clock import FrozenClock
from invitations.delivery import run_workers
from invitations.models import Company, Inviter, Role
from invitations.service import InvitationService
from invitations.store import open_store
from invitations.store.base import SQLStore
from invitations.transports import transport_from_url
from invitations.transports.base import BaseTransport, OutgoingMessage, SendResult, SendStatus
from tests.pg import PGServer

N_SENDS = int(os.environ.get("BENCH_PG_SENDS", "1000"))
N_DELIVER = int(os.environ.get("BENCH_PG_DELIVER", "2000"))
KEY = "bench-postgres-secret-key-0123456789abcdef"
ACME = Company("0112038-9", "Acme Oy", "LOG-123")
BOSS = Inviter("boss@acme.fi", "Pirkko", Role.MAIN_USER, "0112038-9")
NOW = datetime(2026, 3, 2, tzinfo=UTC)
CLAIM = ("EXPLAIN {analyze} SELECT id FROM outbox WHERE state = 'queued' "
         "AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now()) "
         "ORDER BY id LIMIT 20 FOR UPDATE SKIP LOCKED")


class _Null(BaseTransport):
    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        return [SendResult(SendStatus.ACCEPTED, 250, "ok") for _ in messages]


def _row(label: str, value: str) -> None:
    print(f"  {label:<58} {value}", flush=True)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _service(db: str) -> InvitationService:
    return InvitationService([KEY], "http://127.0.0.1:8000", _Null(), clock=FrozenClock(NOW),
                             store=open_store(db), close_store=True)


def _send_rates(dbs: dict[str, str], rounds: int = 5) -> dict[str, float]:
    """``send_invite``/s per backend: rounds alternate between the backends and each
    keeps its best round, so load from elsewhere on the machine hits both alike."""
    services = {name: _service(db) for name, db in dbs.items()}
    best = dict.fromkeys(dbs, 0.0)
    try:
        for service in services.values():
            service.send_invite("warm@acme.fi", company=ACME, invited_by=BOSS)
        per_round = max(1, N_SENDS // rounds)
        for r in range(rounds):
            for name, service in services.items():
                started = time.perf_counter()
                for i in range(per_round):
                    service.send_invite(f"user{r}-{i}@acme.fi", company=ACME, invited_by=BOSS)
                best[name] = max(best[name], per_round / (time.perf_counter() - started))
    finally:
        for service in services.values():
            service.close()
    return best


def _deliver(db: str, smtp: str, workers: int) -> tuple[float, float]:
    """Messages per second and CPU milliseconds per message for one delivery run."""
    with _service(db) as service:
        template = service.send_invite("seed@acme.fi", company=ACME, invited_by=BOSS,
                                       deliver=False)
        store = service.store
        assert isinstance(store, SQLStore)
        message = store.outbox(invitation_id=template.id)[0].to_message()
        store.release([r.id for r in store.claim_due(owner="x", now=NOW,
                                                     lease=timedelta(0))], owner="x")
        from invitations.store import NewInvitation

        entries = [NewInvitation(replace(template, id=f"d{workers}-{i}",
                                         email=f"d{workers}-{i}@acme.fi"), "h",
                                 replace(message, message_id=f"<d{workers}-{i}@bench>"), NOW)
                   for i in range(N_DELIVER)]
        store.add_many(entries)
        cpu, started = _cpu(), time.perf_counter()
        report = run_workers(store, lambda: transport_from_url(smtp), clock=FrozenClock(NOW),
                             workers=workers, batch=20)
        elapsed, used = time.perf_counter() - started, _cpu() - cpu
        assert report.sent >= N_DELIVER, report
        return report.sent / elapsed, 1000 * used / report.sent


def _claim_cost(server: PGServer, delivered: int) -> tuple[float, str]:
    """Milliseconds per claim of 20 (+ release) with ``delivered`` sent rows kept."""
    url = server.schema_url(server.new_schema())
    with open_store(url) as store, psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO invitations (id, email, email_key, company_id, company_name, "
            "inviter_id, inviter_role, role, services, languages, nonce_hash, created_at, "
            "issued_at, expires_at, status) SELECT 'i' || g, 'u' || g || '@a.fi', "
            "'u' || g || '@a.fi', 'c', 'C', 'b', 'main_user', 'user', '[]', '[]', 'h', now(), "
            "now(), now() + interval '7 days', 'pending' FROM generate_series(1, %s) g",
            (delivered + 100,))
        conn.execute(
            "INSERT INTO outbox (invitation_id, kind, message_id, sender, recipients, data, "
            "state, next_attempt_at, created_at, sent_at) SELECT 'i' || g, 'invitation', "
            "'<' || g || '@b>', 's', '[]', '\\x00'::bytea, CASE WHEN g <= %s THEN 'sent' "
            "ELSE 'queued' END, now() - interval '1 minute', now(), now() "
            "FROM generate_series(1, %s) g", (delivered, delivered + 100))
        conn.execute("ANALYZE outbox")
        plan = "\n".join(r[0] for r in conn.execute(CLAIM.format(analyze="")))
        rounds, now = 300, datetime.now(UTC)
        started = time.perf_counter()
        for _ in range(rounds):
            rows = store.claim_due(owner="w", now=now, lease=timedelta(minutes=5), limit=20)
            store.release([r.id for r in rows], owner="w")
        return 1000 * (time.perf_counter() - started) / rounds, plan


def main() -> None:
    server = PGServer.start(settings={"fsync": "on", "full_page_writes": "on"})
    tmp = tempfile.mkdtemp(prefix="bench-pg-")
    devsmtp = subprocess.Popen(
        [str(Path(sys.executable).parent / "devsmtp"), "serve", "--smtp", "127.0.0.1:0",
         "--http", "127.0.0.1:0", "--data", f"{tmp}/smtp", "--no-fsync", "--max-messages",
         "0", "--json"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert devsmtp.stdout is not None
        smtp = "smtp://" + json.loads(devsmtp.stdout.readline())["smtp"]

        def pg() -> str:
            return server.schema_url(server.new_schema())

        def lite() -> str:
            return f"{tempfile.mkdtemp(dir=tmp)}/bench.db"

        rates = _send_rates({"sqlite": lite(), "postgresql": pg()})
        sqlite_rate, pg_rate = rates["sqlite"], rates["postgresql"]
        _row(f"send_invite/s SQLite (best of 5 alternating rounds, {N_SENDS})",
             f"{sqlite_rate:8.0f}")
        _row("send_invite/s PostgreSQL, unix socket", f"{pg_rate:8.0f}")
        _row("  ratio PostgreSQL / SQLite (issue: >= 0.50)", f"{pg_rate / sqlite_rate:8.2f}")
        runs: list[tuple[str, Callable[[], str], int]] = [
            ("SQLite", lite, 1), ("PostgreSQL", pg, 1), ("PostgreSQL", pg, 2),
            ("PostgreSQL", pg, 4)]
        base = 0.0
        for name, db, workers in runs:
            rate, cpu = _deliver(db(), smtp, workers)
            base = base or rate
            _row(f"deliver {N_DELIVER} to devsmtp, {name}, {workers} worker(s)",
                 f"{rate:8.0f}/s  x{rate / base:4.2f}  {cpu:5.2f} ms CPU/msg")
        small, plan = _claim_cost(server, 10_000)
        large, _ = _claim_cost(server, 200_000)
        _row("claim 20 + release, 10k delivered rows kept", f"{small:8.2f} ms")
        _row("claim 20 + release, 200k delivered rows kept", f"{large:8.2f} ms")
        _row("  ratio 200k / 10k (flat: ~1)", f"{large / small:8.2f}")
        print("  EXPLAIN of the claim query (10k delivered rows kept):")
        print("\n".join("    " + line for line in plan.splitlines()), flush=True)
    finally:
        devsmtp.terminate()
        devsmtp.wait(20)
        server.stop()


if __name__ == "__main__":
    main()
