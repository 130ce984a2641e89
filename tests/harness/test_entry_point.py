"""The plugin works in a project that only installed the package (pytest11 entry point).

Each test writes a throw-away project into ``tmp_path`` (no conftest, no
path tricks) and runs pytest on it in a subprocess.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

from devsmtp.testing import Capture

SAMPLE = r'''
import smtplib
from email.message import EmailMessage


def send(capture, to, subject):
    msg = EmailMessage()
    msg["From"] = "app@example.test"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("hello")
    with smtplib.SMTP(capture.smtp_host, capture.smtp_port, timeout=10) as smtp:
        smtp.send_message(msg)


def test_welcome_mail(smtp_capture):
    send(smtp_capture, smtp_capture.address("alice"), "Welcome")
    assert smtp_capture.wait_for(to="alice").subject == "Welcome"


def test_broken_feature(smtp_capture):
    send(smtp_capture, smtp_capture.address("bob"), "Kutsu käyttäjäksi")
    smtp_capture.wait_for(to="bob")
    assert False, "the feature is broken"


def test_broken_unit(mail_outbox):
    from invitations.transports import OutgoingMessage

    data = b"From: a@example.com\r\nSubject: in memory\r\n\r\nhi\r\n"
    message = OutgoingMessage("<1@example.com>", "a@example.com", ("b@example.com",), data)
    mail_outbox.send([message])
    assert False
'''


def run_pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "DEVSMTP_")) and k != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
         f"--basetemp={project / 'tmp'}", *args],
        cwd=project, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def project_with(tmp_path: Path, source: str) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_sample.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return project


def test_fixtures_come_from_the_entry_point(tmp_path: Path) -> None:
    project = project_with(tmp_path, SAMPLE)
    result = run_pytest(project)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "2 failed, 1 passed" in out, out
    assert out.count("devsmtp: mail captured by this test") == 2, out
    assert "1 mail in mail_outbox, saved in" in out, out
    paths = [Path(p) for p in re.findall(r"^\s+(\S+\.eml)$", out, re.MULTILINE)]
    assert [p.name for p in paths] == ["001-Kutsu-k-ytt-j-ksi.eml", "001-in-memory.eml"], out
    assert b"Subject: Kutsu =?utf-8?b?a8OkeXR0w6Rqw6Rrc2k=?=\r\n" in paths[0].read_bytes()
    assert paths[1].read_bytes().startswith(b"From: a@example.com\r\nSubject: in memory")
    assert all(path.is_relative_to(project / "tmp") for path in paths)


def test_artifacts_directory_option(tmp_path: Path) -> None:
    project = project_with(tmp_path, SAMPLE)
    result = run_pytest(project, "--devsmtp-artifacts", "mail-artifacts")
    assert result.returncode == 1, result.stdout
    saved = sorted((project / "mail-artifacts").rglob("*.eml"))
    assert [p.parent.name for p in saved] == ["test_sample.py_test_broken_feature",
                                              "test_sample.py_test_broken_unit"]


def test_help_lists_the_options(tmp_path: Path) -> None:
    result = run_pytest(project_with(tmp_path, "def test_x(): pass\n"), "--help")
    assert result.returncode == 0
    for option in ("--devsmtp-url", "--devsmtp-smtp", "--devsmtp-artifacts"):
        assert option in result.stdout


def test_devsmtp_url_uses_a_running_server(smtp_capture: Capture, tmp_path: Path) -> None:
    # The throw-away project sends to *our* capture's domain through *our* server.
    source = f'''
        import smtplib

        def test_remote(smtp_capture):
            assert smtp_capture.client.api_url == {smtp_capture.client.api_url!r}
            with smtplib.SMTP(smtp_capture.smtp_host, smtp_capture.smtp_port) as smtp:
                smtp.sendmail("app@example.test", [{smtp_capture.address("remote")!r}],
                              b"Subject: from the subprocess\\r\\n\\r\\nhi\\r\\n")
    '''
    # Only the HTTP address: the SMTP port comes from the server's /api/info.
    result = run_pytest(project_with(tmp_path, source), "--devsmtp-url",
                        smtp_capture.client.api_url.removesuffix("/api"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert smtp_capture.wait_for(to="remote").subject == "from the subprocess"


def test_devsmtp_url_without_a_server_says_what_to_do(tmp_path: Path) -> None:
    with socket.socket() as unused:  # bound, never listening: connections are refused
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}"
        result = run_pytest(project_with(tmp_path, "def test_x(smtp_capture): pass\n"),
                            "--devsmtp-url", url)
    assert result.returncode == 1
    assert f"--devsmtp-url {url}" in result.stdout
    assert "start `devsmtp serve` there, or leave the option out" in result.stdout


def test_parallel_workers_on_one_server_never_see_each_other(
    smtp_capture: Capture, tmp_path: Path
) -> None:
    tests = "\n".join(
        f'''
        def test_{n}(smtp_capture):
            import smtplib
            with smtplib.SMTP(smtp_capture.smtp_host, smtp_capture.smtp_port) as smtp:
                smtp.sendmail("a@example.test", [smtp_capture.address("x")],
                              b"Subject: mail {n}\\r\\n\\r\\nhi\\r\\n")
            assert smtp_capture.wait_for().subject == "mail {n}"
            smtp_capture.assert_nothing_sent(within=0.2)
        ''' for n in range(4))
    result = run_pytest(
        project_with(tmp_path, tests), "-n", "2",
        "--devsmtp-url", smtp_capture.client.api_url,
        "--devsmtp-smtp", f"{smtp_capture.smtp_host}:{smtp_capture.smtp_port}",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


def test_loading_the_plugin_is_cheap() -> None:
    # pytest loads the plugin in every run of every project that installs the
    # package: it must not drag in the server, HTTP or the toolkit before use.
    code = ("import sys, devsmtp.pytest_plugin; "
            "print(sorted(m for m in ('httpx', 'aiosmtpd', 'starlette', 'uvicorn', "
            "'invitations', 'devsmtp.server', 'devsmtp.testing.capture', 'devsmtp.testing.client', "
            "'devsmtp.mail') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.strip() == "[]"
