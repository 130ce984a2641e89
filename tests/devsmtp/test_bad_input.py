"""Bad input gets a clear error naming what was wrong and what to do, and loses nothing.

Ports out of range, release bodies, API 404/405 as JSON, broken UI catalogs at
start-up and a store file that is not a database.
"""

from __future__ import annotations

import hashlib
import shutil
import signal
import smtplib
import threading
import types
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

import devsmtp.catalog as languages
import devsmtp.cli.commands as cli_module
from devsmtp import DevSMTP
from devsmtp.cli.commands import host_port, main
from devsmtp.errors import CatalogBroken, StoreDamaged

from .conftest import make_message, send

LANGS = {"fi", "sv", "en"}


class _SetEvent(threading.Event):
    def __init__(self) -> None:
        super().__init__()
        self.set()


@pytest.fixture(autouse=True)
def _bounded_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    """If ``serve`` (wrongly) starts in-process, it stops at once instead of hanging."""
    monkeypatch.setattr(cli_module, "threading", types.SimpleNamespace(Event=_SetEvent))
    monkeypatch.setattr(signal, "signal", lambda *args: None)  # keep pytest's handlers


def _assert_error_shape(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == code
    assert body["status"] == status
    assert isinstance(body["message"], str) and body["message"]
    assert set(body["messages"]) == LANGS
    assert body["messages"]["en"] == body["message"]
    return body


# -- 1. ports -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value"),
    [("--smtp", "127.0.0.1:99999"), ("--http", "127.0.0.1:70000"),
     ("--relay", "127.0.0.1:99999"), ("--relay", "127.0.0.1:0"), ("--smtp", "127.0.0.1:65536")],
)
def test_serve_refuses_out_of_range_ports(tmp_path: Path, option: str, value: str) -> None:
    data = tmp_path / "data"
    args = ["serve", "--smtp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data", str(data)]
    result = CliRunner().invoke(main, [*args, option, value])
    assert result.exit_code == 2, result.output
    assert option in result.output
    assert "out of range" in result.output
    assert value.rpartition(":")[2] in result.output
    assert not data.exists()  # refused before anything was created


def test_smtps_port_is_range_checked(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--smtps", "70000", "--data", str(tmp_path)])
    assert result.exit_code == 2
    assert "--smtps" in result.output and "65535" in result.output


def test_host_port_accepts_the_edges() -> None:
    assert host_port("127.0.0.1:0", "--smtp") == ("127.0.0.1", 0)
    assert host_port("127.0.0.1:65535", "--http") == ("127.0.0.1", 65535)
    assert host_port("[::1]:25", "--relay") == ("::1", 25)
    assert host_port(":1025", "--smtp") == ("127.0.0.1", 1025)


def test_release_command_checks_the_relay_port_before_calling(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["release", "1", "--to", "a@example.com", "--relay", "127.0.0.1:99999",
               "--api", "http://127.0.0.1:9/api"])
    assert result.exit_code == 2
    assert "--relay" in result.output and "out of range" in result.output


# -- 2. release body ----------------------------------------------------------


@pytest.fixture
def capture(tmp_path: Path) -> Iterator[tuple[DevSMTP, DevSMTP]]:
    with DevSMTP(tmp_path / "relay") as relay, DevSMTP(
        tmp_path / "capture", relay_host="127.0.0.1", relay_port=relay.smtp_port,
        relay_allow=("*",),
    ) as captured:
        send(captured, make_message(), to=["qa@example.com"])
        yield captured, relay


def _release(server: DevSMTP, body: object, message_id: int = 1) -> httpx.Response:
    return httpx.post(f"{server.api_url}/messages/{message_id}/release", json=body, timeout=30)


@pytest.mark.parametrize(
    ("body", "field", "hint"),
    [
        ({"to": ["a@example.com"], "port": "abc"}, "'port'", "1 to 65535"),
        ({"to": ["a@example.com"], "port": 99999}, "'port'", "65535"),
        ({"to": ["a@example.com"], "port": 0}, "'port'", "65535"),
        ({"to": ["a@example.com"], "port": True}, "'port'", "whole number"),
        ({"to": ["a@example.com"], "host": ""}, "'host'", "host name"),
        ({"to": ["a@example.com"], "host": "smtp example.com"}, "'host'", "without spaces"),
        ({"to": ["a@example.com"], "host": 5}, "'host'", "host name"),
        ({"to": ["not an address"]}, "'to'[0]", "name@example.com"),
        ({"to": ["ok@example.com", ""]}, "'to'[1]", "empty"),
        ({"to": ["x@y.fi\r\nRCPT TO:<inj@z.fi>"]}, "'to'[0]", "line break"),
        ({"to": "x@y.fi\nRCPT TO:<inj@z.fi>"}, "'to'", "line break"),
        ({"to": ["a\x00@example.com"]}, "'to'[0]", "control character"),
        ({"to": []}, "'to'", "non-empty list"),
        ({"to": [5]}, "'to'[0]", "string"),
        ({}, "'to'", "non-empty list"),
        ({"to": ["a@example.com"], "from": "bad sender"}, "'from'", "name@example.com"),
        ({"to": ["a@example.com"], "from": "a@b.fi\r\nDATA"}, "'from'", "line break"),
        ({"to": ["a@example.com"], "tos": ["b@example.com"]}, "'tos'", "may have"),
    ],
)
def test_release_body_is_validated(
    capture: tuple[DevSMTP, DevSMTP], body: dict[str, object], field: str, hint: str
) -> None:
    server, relay = capture
    answer = _assert_error_shape(_release(server, body), 400, "bad_request")
    message = str(answer["message"])
    assert field in message, message
    assert hint in message, message
    for text in answer["messages"].values():  # type: ignore[attr-defined]
        assert field in text
    assert relay.store.count() == 0  # nothing was relayed
    assert server.store.count() == 1  # and nothing lost


def test_release_of_a_missing_message_is_404_before_the_allow_list(tmp_path: Path) -> None:
    with DevSMTP(tmp_path, relay_host="127.0.0.1", relay_port=9,
                 relay_allow=("@allowed.example",)) as server:
        answer = _release(server, {"to": ["someone@elsewhere.example"]}, 99999)
        body = _assert_error_shape(answer, 404, "message_not_found")
        assert "99999" in str(body["message"])


def test_release_still_works_and_injection_never_reaches_the_relay(
    capture: tuple[DevSMTP, DevSMTP],
) -> None:
    server, relay = capture
    assert _release(server, {"to": ["x@y.fi\r\nRCPT TO:<inj@z.fi>"]}).status_code == 400
    ok = _release(server, {"to": "käyttäjä@example.fi", "host": "127.0.0.1",
                           "port": relay.smtp_port})
    assert ok.status_code == 200, ok.text
    assert ok.json()["to"] == ["käyttäjä@example.fi"]
    (released,) = relay.store.list().messages
    assert released.envelope.rcpt_to == ("käyttäjä@example.fi",)


# -- 3. JSON 404/405 ----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status", "code", "mentions"),
    [
        ("GET", "/messages/abc", 400, "bad_request", "'abc'"),
        ("DELETE", "/messages/abc", 400, "bad_request", "'abc'"),
        ("GET", "/messages/-1", 400, "bad_request", "'-1'"),
        ("GET", "/messages/0", 400, "bad_request", "from 1"),
        ("GET", "/messages/1/parts/abc", 400, "bad_request", "part number"),
        ("GET", "/messages/99999", 404, "message_not_found", "99999"),
        ("GET", "/nothing/here", 404, "not_found", "/api/nothing/here"),
        ("GET", "/messages/1/nope", 404, "not_found", "/api/openapi.json"),
        ("POST", "/messages/1", 405, "method_not_allowed", "POST"),
        ("PATCH", "/messages", 405, "method_not_allowed", "GET"),
        ("GET", "/messages/1/release", 405, "method_not_allowed", "POST"),
    ],
)
def test_api_errors_are_json(
    api: httpx.Client, method: str, path: str, status: int, code: str, mentions: str
) -> None:
    body = _assert_error_shape(api.request(method, path), status, code)
    assert mentions in str(body["message"]), body["message"]


def test_405_keeps_the_allow_header(api: httpx.Client) -> None:
    response = api.request("PATCH", "/messages")
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]
    both = api.request("PUT", "/messages/1")  # two routes share the path: name both
    assert {m.strip() for m in both.headers["allow"].split(",")} == {"GET", "DELETE"}
    assert "GET, DELETE" in both.json()["message"]


def test_web_pages_keep_their_own_not_found(server: DevSMTP) -> None:
    response = httpx.get(f"{server.http_url}/no-such-page", timeout=30)
    assert response.status_code == 404
    assert not response.headers["content-type"].startswith("application/json")


def test_cli_prints_the_servers_message(server: DevSMTP) -> None:
    runner = CliRunner()
    shown = runner.invoke(main, ["show", "--api", server.api_url, "--", "-1"])
    assert shown.exit_code == 1
    assert "Not Found" not in shown.output
    assert "'-1' is not a message id" in shown.output
    missing = runner.invoke(main, ["show", "--api", server.api_url, "424242"],
                            env={"LANG": "fi_FI.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""})
    assert missing.exit_code == 1
    assert "Viestiä 424242 ei ole" in missing.output


# -- 4. UI catalogs at start-up -----------------------------------------------


@pytest.fixture
def broken_sv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    locales = tmp_path / "locales"
    shutil.copytree(languages.LOCALES_DIR, locales)
    po = locales / "sv" / "LC_MESSAGES" / "devsmtp.po"
    lines = po.read_text("utf-8").split("\n")
    number = next(n for n, line in enumerate(lines) if line.startswith("msgstr ") and n > 5)
    lines[number] = lines[number].rstrip('"')  # an unterminated string
    po.write_text("\n".join(lines), "utf-8")
    monkeypatch.setattr(languages, "LOCALES_DIR", locales)
    languages.language.cache_clear()
    yield po.parent / f"devsmtp.po:{number + 1}"
    languages.language.cache_clear()


def test_a_broken_ui_catalog_stops_start_up(tmp_path: Path, broken_sv: Path) -> None:
    data = tmp_path / "data"
    with pytest.raises(CatalogBroken) as raised:
        DevSMTP(data).start()
    assert str(broken_sv) in str(raised.value)
    assert "Fix that line" in str(raised.value)
    assert set(raised.value.to_dict()["messages"]) == LANGS  # type: ignore[arg-type]
    assert not (data / "ports.json").exists()


def test_serve_reports_the_broken_catalog(tmp_path: Path, broken_sv: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--smtp", "127.0.0.1:0", "--http",
                                       "127.0.0.1:0", "--data", str(tmp_path / "data")])
    assert result.exit_code == 1, result.output
    assert str(broken_sv) in result.output
    assert "Traceback" not in result.output


def test_all_shipped_catalogs_load() -> None:
    languages.preload()
    assert {code: languages.language(code).code for code in languages.LANGUAGES} == {
        code: code for code in languages.LANGUAGES
    }


# -- 5. a store file that is not a database -----------------------------------


def test_a_garbage_store_file_is_named_and_kept(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    store_file = data / "messages.sqlite3"
    store_file.write_bytes(b"this is not SQLite at all\n" * 200)
    before = hashlib.sha256(store_file.read_bytes()).hexdigest()
    with pytest.raises(StoreDamaged) as raised:
        DevSMTP(data).start()
    text = raised.value.message("en")
    assert "free space" not in text
    assert "not a devsmtp database" in text
    assert f"mv {store_file} {store_file}.bad" in text
    assert "--data" in text
    assert str(store_file) in raised.value.message("fi")
    assert hashlib.sha256(store_file.read_bytes()).hexdigest() == before  # loses nothing
    # and the directory is not left locked: a fresh file works in the same place
    store_file.rename(data / "messages.sqlite3.bad")
    with DevSMTP(data) as server, smtplib.SMTP("127.0.0.1", server.smtp_port,
                                                  timeout=30) as client:
        client.sendmail("a@example.com", ["b@example.com"], make_message())
        assert server.store.count() == 1


def test_serve_reports_a_garbage_store_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "messages.sqlite3").write_bytes(b"\x00garbage" * 100)
    result = CliRunner().invoke(main, ["serve", "--smtp", "127.0.0.1:0", "--http",
                                       "127.0.0.1:0", "--data", str(data)],
                                env={"LANG": "sv_SE.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""})
    assert result.exit_code == 1, result.output
    assert "inte en devsmtp-databas" in result.output
    assert str(data / "messages.sqlite3") in result.output
