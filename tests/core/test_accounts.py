"""The account hand-off (invitations.accounts) through the service: the host's
create_account is called once per invitation, under a lease, and the invitation is
accepted only after it succeeded; the password goes nowhere else."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest

from invitations import AccountCreator, AccountRef, AccountRejected, FieldError
from invitations.cli.demo_accounts import DemoAccounts
from invitations.clock import FrozenClock
from invitations.errors import InvitationError, InvitationUsed, RegistrationInProgress
from invitations.models import Invitation, InvitationStatus, Registration
from invitations.service import InvitationService
from tests.core.helpers import ACME, BOSS, KEY, STRONG, registration, token_of

SECRET = "Zq7+Bvxr9.Wopy"


class Recording:
    """An AccountCreator that records its calls and does what it is told."""

    def __init__(self, fail: BaseException | None = None, wait: threading.Event | None = None
                 ) -> None:
        self.calls: list[tuple[str, Registration]] = []
        self.enabled: list[str] = []
        self.fail = fail
        self.wait = wait
        self._lock = threading.Lock()

    def create_account(self, invitation: Invitation, registration: Registration) -> AccountRef:
        with self._lock:
            self.calls.append((invitation.id, registration))
        if self.wait is not None:
            self.wait.wait(10)
        if self.fail is not None:
            raise self.fail
        return AccountRef(f"acc-{invitation.id}")

    def enable_account(self, invitation: Invitation, account: AccountRef) -> None:
        self.enabled.append(account.id)


def _invite(service: InvitationService, address: str = "matti@acme.fi") -> str:
    return token_of(service.send_invite(address, company=ACME, invited_by=BOSS).link or "")


def test_the_protocol_is_runtime_checkable() -> None:
    assert isinstance(Recording(), AccountCreator)
    assert not isinstance(object(), AccountCreator)


def test_registration_repr_masks_the_password() -> None:
    text = repr(registration(password=SECRET))
    assert SECRET not in text and "password='********'" in text
    assert SECRET not in str(registration(password=SECRET))


def test_accepted_only_after_the_account_exists(service: InvitationService) -> None:
    token = _invite(service)
    accounts = Recording()
    invitation = service.redeem(token, registration(password=SECRET), accounts=accounts)
    assert invitation.status is InvitationStatus.ACCEPTED
    assert invitation.account_id == f"acc-{invitation.id}"
    [(invitation_id, handed)] = accounts.calls
    assert invitation_id == invitation.id
    assert handed.password == SECRET and handed.email_confirmed
    assert handed.username == "matti@acme.fi"  # empty means the e-mail address


def test_a_refusal_keeps_the_invitation_pending_with_field_errors(
        service: InvitationService) -> None:
    token = _invite(service)
    refusal = AccountRejected([
        FieldError("username", "username_taken"),
        FieldError("password", "host_rule", {"fi": "Ei käy.", "sv": "Går inte.", "en": "No."}),
    ])
    with pytest.raises(AccountRejected) as caught:
        service.redeem(token, registration(), accounts=Recording(fail=refusal))
    assert [e.field for e in caught.value.errors] == ["username", "password"]
    assert caught.value.errors[0].message("fi") == (
        "Tämä käyttäjätunnus on jo käytössä. Valitse toinen.")
    assert caught.value.errors[0].message("sv") == (
        "Det här användarnamnet används redan. Välj ett annat.")
    assert caught.value.errors[1].message("sv") == "Går inte."
    assert service.list()[0].status is InvitationStatus.PENDING
    # The lease was given back: the next submit goes straight through.
    accounts = Recording()
    assert service.redeem(token, registration(), accounts=accounts).status is (
        InvitationStatus.ACCEPTED)
    assert len(accounts.calls) == 1


def test_unknown_codes_need_host_texts() -> None:
    with pytest.raises(ValueError, match="username_taken"):
        FieldError("username", "no_such_code")
    assert FieldError("email", "email_has_account").message("fi").startswith(
        "Tällä sähköpostiosoitteella")
    assert FieldError("password", "password_refused").to_dict()["message"]["sv"].startswith(
        "Det här lösenordet")


def test_a_failing_host_leaves_the_invitation_pending(service: InvitationService) -> None:
    token = _invite(service)
    with pytest.raises(RuntimeError, match="directory down"):
        service.redeem(token, registration(), accounts=Recording(fail=RuntimeError(
            "directory down")))
    assert service.list()[0].status is InvitationStatus.PENDING
    assert service.redeem(token, registration(), accounts=Recording()).status is (
        InvitationStatus.ACCEPTED)


def test_one_create_account_under_20_concurrent_submits(service: InvitationService) -> None:
    token = _invite(service)
    release = threading.Event()
    accounts = Recording(wait=release)
    outcomes: list[str] = []
    start = threading.Barrier(20)

    def submit() -> None:
        start.wait()
        try:
            service.redeem(token, registration(), accounts=accounts)
            outcomes.append("won")
        except InvitationError as exc:
            outcomes.append(exc.code)
        if len(outcomes) == 19:
            release.set()  # the 19 losers answered while the winner was still creating

    with ThreadPoolExecutor(max_workers=20) as pool:
        for future in [pool.submit(submit) for _ in range(20)]:
            future.result(timeout=30)
    assert len(accounts.calls) == 1
    assert outcomes.count("won") == 1
    assert set(outcomes) - {"won"} <= {RegistrationInProgress.code, InvitationUsed.code}
    assert service.list()[0].status is InvitationStatus.ACCEPTED


_CRASHING_CHILD = textwrap.dedent(
    """
    import os, sys
    from datetime import datetime
    from invitations.clock import FrozenClock
    from invitations.cli.demo_accounts import DemoAccounts
    from invitations.models import Registration
    from invitations.service import InvitationService
    from invitations.store import SQLiteInvitationStore

    db, accounts_db, key, start, token, password = sys.argv[1:]

    class CrashAfterCreating(DemoAccounts):
        def create_account(self, invitation, registration):
            ref = super().create_account(invitation, registration)
            print("created", ref.id, flush=True)
            os.kill(os.getpid(), 9)  # the process dies before the toolkit commits

    service = InvitationService([key], "http://127.0.0.1:8000", None,
                                store=SQLiteInvitationStore(db),
                                clock=FrozenClock(datetime.fromisoformat(start)))
    service.redeem(token, Registration("Matti", "Meikäläinen", "matti@acme.fi", "",
                                       password), accounts=CrashAfterCreating(accounts_db))
    print("not reached", flush=True)
    """
)


def test_a_crash_between_account_and_commit_is_completed_once_by_the_retry(
        make_service: Callable[..., InvitationService], clock: FrozenClock, db_path: Path,
        tmp_path: Path) -> None:
    service = make_service()
    token = _invite(service)
    script = tmp_path / "child.py"
    script.write_text(_CRASHING_CHILD, encoding="utf-8")
    accounts_db = tmp_path / "accounts.sqlite3"
    child = subprocess.run(
        [sys.executable, str(script), str(db_path), str(accounts_db), KEY,
         clock.now().isoformat(), token, STRONG],
        capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert child.returncode == -9, child.stderr
    assert child.stdout.startswith("created ")
    created = child.stdout.split()[1]
    accounts = DemoAccounts(accounts_db)
    assert [a["id"] for a in accounts.accounts()] == [created]
    assert service.list()[0].status is InvitationStatus.PENDING
    # While the dead process's lease runs, a retry is told to wait ...
    with pytest.raises(RegistrationInProgress):
        service.redeem(token, registration(), accounts=accounts)
    # ... after it, the retry calls create_account again with the same invitation id,
    # which (idempotent) returns the same account: one account, accepted once.
    clock.advance(service.registration_lease + timedelta(seconds=1))
    invitation = service.redeem(token, registration(), accounts=accounts)
    assert invitation.status is InvitationStatus.ACCEPTED
    assert invitation.account_id == created
    assert [a["id"] for a in accounts.accounts()] == [created]
    assert accounts.sign_in("matti@acme.fi", STRONG) is not None
    with pytest.raises(InvitationUsed):
        service.redeem(token, registration(), accounts=accounts)


def test_a_changed_address_creates_the_account_disabled_until_confirmed(
        service: InvitationService, tmp_path: Path, transport: object) -> None:
    token = _invite(service)
    accounts = DemoAccounts(tmp_path / "accounts.sqlite3")
    invitation = service.redeem(token, registration("matti.uusi@acme.fi", password=SECRET),
                                accounts=accounts)
    assert invitation.status is InvitationStatus.AWAITING_CONFIRMATION
    [account] = accounts.accounts()
    assert account["enabled"] == 0 and account["email"] == "matti.uusi@acme.fi"
    assert accounts.sign_in("matti.uusi@acme.fi", SECRET) is None  # not before confirming
    confirm = token_of(transport.links()[-1])  # type: ignore[attr-defined]
    confirmed = service.confirm_email(confirm, accounts=accounts)
    assert confirmed.status is InvitationStatus.ACCEPTED
    assert confirmed.account_id == account["id"]
    assert accounts.sign_in("matti.uusi@acme.fi", SECRET) is not None


def test_a_failing_enable_keeps_the_confirmation_waiting(
        service: InvitationService, transport: object) -> None:
    token = _invite(service)
    accounts = Recording()
    service.redeem(token, registration("matti.uusi@acme.fi"), accounts=accounts)
    assert accounts.calls[0][1].email_confirmed is False
    confirm = token_of(transport.links()[-1])  # type: ignore[attr-defined]

    class Broken(Recording):
        def enable_account(self, invitation: Invitation, account: AccountRef) -> None:
            raise RuntimeError("directory down")

    with pytest.raises(RuntimeError):
        service.confirm_email(confirm, accounts=Broken())
    assert service.list()[0].status is InvitationStatus.AWAITING_CONFIRMATION
    service.confirm_email(confirm, accounts=accounts)
    assert accounts.enabled == [f"acc-{service.list()[0].id}"]


def test_the_password_is_absent_from_the_store_and_the_logs(
        make_service: Callable[..., InvitationService], db_path: Path, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    service = make_service()
    accounts = DemoAccounts(tmp_path / "accounts.sqlite3")
    # Accepted directly, after a refusal, and with a changed address (confirmation mail).
    service.redeem(_invite(service), registration(password=SECRET), accounts=accounts)
    second = _invite(service, "maija@acme.fi")
    with pytest.raises(AccountRejected):
        service.redeem(second, registration("maija@acme.fi", username="matti@acme.fi",
                                            password=SECRET), accounts=accounts)
    service.redeem(second, registration("maija.uusi@acme.fi", first_name="Maija",
                                        password=SECRET), accounts=accounts)
    service.close()
    assert caplog.records, "nothing was logged at DEBUG"
    logged = "\n".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    assert SECRET not in logged
    for path in db_path.parent.glob(db_path.name + "*"):  # the file, its WAL and SHM
        assert SECRET.encode() not in path.read_bytes(), path
    assert SECRET.encode() not in (tmp_path / "accounts.sqlite3").read_bytes()  # hashed
