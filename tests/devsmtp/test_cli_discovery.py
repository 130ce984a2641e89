"""``devsmtp list/show/wait`` without ``--data`` find a server kept one hidden
directory down, as the demo keeps its own in ``.demo/devsmtp``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from devsmtp import DevSMTP
from devsmtp.cli.commands import main

from .conftest import make_message, send


def test_list_show_and_wait_find_the_demo_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DEVSMTP_DATA", raising=False)
    monkeypatch.delenv("DEVSMTP_API", raising=False)
    runner = CliRunner()
    missing = runner.invoke(main, ["list"])
    assert missing.exit_code != 0 and ".devsmtp" in missing.output

    server = DevSMTP(Path(".demo") / "devsmtp")
    server.start()
    try:
        send(server, make_message())
        listed = runner.invoke(main, ["list", "--json"])
        assert listed.exit_code == 0, listed.output
        assert '"id": 1' in listed.stdout
        assert "--data .demo/devsmtp" in listed.stderr
        assert runner.invoke(main, ["show", "1"]).exit_code == 0
        waited = runner.invoke(main, ["wait", "--timeout", "5"])
        assert waited.exit_code == 0, waited.output

        # Two candidates: no guess, the error names both.
        other = DevSMTP(Path(".other") / "devsmtp")
        other.start()
        try:
            both = runner.invoke(main, ["list"])
            assert both.exit_code != 0
            assert "--data .demo/devsmtp" in both.output
            assert "--data .other/devsmtp" in both.output
        finally:
            other.stop()
    finally:
        server.stop()
    assert runner.invoke(main, ["list"]).exit_code != 0
