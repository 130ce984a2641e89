"""Foundation costs: tokens, the SQLite store and the whole issue/verify/redeem path.

Each figure is a ratio against a baseline measured in the same run:
- token verify against a bare itsdangerous ``loads`` (our clock, shape and
  canonical-encoding checks on top);
- ``store.add`` (invitation + outbox row, one WAL transaction each) against a
  bare SQLite insert of one row per transaction on the same kind of file;
- ``send_invite`` end to end with a null transport against ``store.add`` alone
  (what validation, signing and rendering add to the write).
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from itsdangerous import URLSafeTimedSerializer

from invitations.clock import FrozenClock
from invitations.models import Company, Inviter, Role
from invitations.service import InvitationService
from invitations.store import SQLiteInvitationStore
from invitations.tokens import INVITATION_SALT, TokenSigner
from invitations.transports.base import BaseTransport, OutgoingMessage, SendResult, SendStatus

KEY = "bench-key-" + "x" * 40
N_TOKENS = 20_000
N_WRITES = 1_000
ACME = Company("0112038-9", "Acme Oy", "LOG-1")
BOSS = Inviter("boss@acme.fi", "Boss", Role.MAIN_USER, "0112038-9")


class _Null(BaseTransport):
    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        return [SendResult(SendStatus.ACCEPTED, 250, "ok") for _ in messages]


def _rate(n: int, action: Callable[[int], object]) -> float:
    started = time.perf_counter()
    for i in range(n):
        action(i)
    return n / (time.perf_counter() - started)


def _row(label: str, ours: float, base: float) -> None:
    print(f"{label:<44} {ours:>10.0f}/s  baseline {base:>10.0f}/s  ratio {ours / base:5.2f}")


def bench_tokens() -> None:
    clock = FrozenClock()
    signer = TokenSigner([KEY], max_age=timedelta(days=7), clock=clock)
    token = signer.sign("0123456789abcdef0123456789abcdef", "nonce-nonce-nonce")
    plain = URLSafeTimedSerializer(KEY, salt=INVITATION_SALT)
    bare = plain.dumps(["0123456789abcdef0123456789abcdef", "nonce-nonce-nonce"])
    base = _rate(N_TOKENS, lambda _: plain.loads(bare, max_age=604800))
    ours = _rate(N_TOKENS, lambda _: signer.load(token))
    _row("token verify (vs bare itsdangerous loads)", ours, base)


def bench_store_and_service(directory: Path) -> None:
    raw = sqlite3.connect(directory / "raw.db", isolation_level=None)
    raw.execute("PRAGMA journal_mode = WAL")
    raw.execute("PRAGMA synchronous = NORMAL")
    raw.execute("CREATE TABLE t (id TEXT PRIMARY KEY, payload TEXT, data BLOB)")
    blob = b"x" * 4000

    def raw_insert(i: int) -> None:
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("INSERT INTO t VALUES (?, ?, ?)", (f"id-{i}", "payload" * 20, blob))
        raw.execute("COMMIT")

    base = _rate(N_WRITES, raw_insert)
    raw.close()

    clock = FrozenClock(datetime(2026, 3, 2, tzinfo=UTC))
    with InvitationService([KEY], "http://127.0.0.1:8000", _Null(), clock=clock,
                           store=SQLiteInvitationStore(directory / "svc.db"),
                           close_store=True) as service:
        template = service.send_invite("seed@acme.fi", company=ACME, invited_by=BOSS)
        message = service.store.outbox(invitation_id=template.id)[0].to_message()
        store = SQLiteInvitationStore(directory / "store.db")

        def add(i: int) -> None:
            inv = replace(template, id=f"inv-{i}", email=f"u{i}@acme.fi")
            store.add(inv, nonce_hash="h", message=replace(message, message_id=f"<{i}@p>"),
                      now=clock.now())

        adds = _rate(N_WRITES, add)
        store.close()
        _row("store.add: invitation + outbox row (vs raw)", adds, base)
        sends = _rate(N_WRITES, lambda i: service.send_invite(
            f"user{i}@acme.fi", company=ACME, invited_by=BOSS))
        _row("send_invite, null transport (vs store.add)", sends, adds)


def main() -> None:
    bench_tokens()
    with tempfile.TemporaryDirectory(prefix="bench-core-") as tmp:
        bench_store_and_service(Path(tmp))


if __name__ == "__main__":
    main()
