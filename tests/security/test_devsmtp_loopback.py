"""Issue 12, item 14: loopback means loopback (``ipaddress`` on resolved addresses), and
SMTP off loopback needs the same explicit opt-in as HTTP (a password: ``--auth USER:PASS``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from devsmtp import DevSMTP
from devsmtp.errors import UnsafeBind
from devsmtp.settings import is_loopback


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost",
                                  "LOCALHOST", "::ffff:127.0.0.1"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["127.attacker.example", "127.0.0.1.attacker.invalid",
                                  "0.0.0.0", "::", "192.0.2.1", "", "localhost.attacker.invalid"])
def test_other_hosts_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


def test_smtp_off_loopback_needs_opt_in(tmp_path: Path) -> None:
    # 192.0.2.1 (TEST-NET-1) is on no interface here: refused before any bind is tried.
    with pytest.raises(UnsafeBind) as refused:
        DevSMTP(tmp_path / "d", smtp_host="192.0.2.1").start()
    assert "--auth" in str(refused.value)


def test_smtp_off_loopback_with_a_password_gets_to_bind(tmp_path: Path) -> None:
    with pytest.raises(OSError):  # the opt-in passes; the address is simply not ours
        DevSMTP(tmp_path / "d", smtp_host="192.0.2.1", auth="qa:Vahva2026").start()
