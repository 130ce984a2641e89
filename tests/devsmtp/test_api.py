"""The JSON API: listing, paging, search, details, deletes, wait, events, release."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import pytest

from devsmtp import DevSMTP
from devsmtp.errors import UnsafeBind

from .conftest import make_message, send

INVITE_HTML = (
    '<html lang="fi"><body>'
    '<div lang="fi"><p>Hei! <a href="https://example.com/register?token=T">Rekisteröidy</a></p></div>'
    '<div lang="sv"><p>Hej! <a href="https://example.com/register?token=T">'
    "Registrera dig</a></p></div>"
    '<div lang="en"><p>Hi! <a href="https://example.com/register?token=T">Register</a></p></div>'
    "</body></html>"
)


def test_paging_is_newest_first_with_a_cursor(server: DevSMTP, api: httpx.Client) -> None:
    for n in range(7):
        send(server, make_message(subject=f"message {n}"))
    seen: list[int] = []
    params: dict[str, object] = {"limit": 3}
    for _ in range(5):  # bounded
        page = api.get("/messages", params=params).json()
        seen += [m["id"] for m in page["messages"]]
        if page["next"] is None:
            break
        params["before"] = page["next"]
    assert seen == [7, 6, 5, 4, 3, 2, 1]
    assert api.get("/messages", params={"after": 5}).json()["messages"][-1]["id"] == 6
    assert page["latest"] == 7


def test_search_is_unicode_case_insensitive(server: DevSMTP, api: httpx.Client) -> None:
    subject = "Kutsu käyttäjäksi / Inbjudan att bli användare / User invitation"
    send(server, make_message(subject=subject), to=["a@example.com"])
    send(server, make_message(subject="Something else"), to=["b@example.com"])
    for params in ({"subject": "KUTSU KÄYTTÄJÄKSI"}, {"q": "kutsu käyttäjäksi"},
                   {"q": "INBJUDAN ATT BLI ANVÄNDARE"}):
        found = api.get("/messages", params=params).json()["messages"]
        assert [m["subject"] for m in found] == [subject], params
    assert api.get("/messages", params={"q": "hello there"}).json()["messages"]  # body text
    assert api.get("/messages", params={"from": "POSTI"}).json()["messages"]


def test_inboxes_by_recipient_and_domain(server: DevSMTP, api: httpx.Client) -> None:
    send(server, make_message(), to=["one@test-a.example", "two@test-b.example"])
    send(server, make_message(), to=["two@test-b.example"])
    assert len(api.get("/messages", params={"to": "ONE@test-a.example"}).json()["messages"]) == 1
    assert len(api.get("/messages", params={"to": "two@test-b.example"}).json()["messages"]) == 2
    assert len(api.get("/messages", params={"to": "@test-b.example"}).json()["messages"]) == 2
    assert api.get("/messages", params={"to": "three@test-b.example"}).json()["messages"] == []
    inboxes = api.get("/inboxes").json()["inboxes"]
    assert {"address": "two@test-b.example", "count": 2} in inboxes


def test_detail_links_languages_parts(server: DevSMTP, api: httpx.Client) -> None:
    raw = make_message(body="Open https://example.com/register?token=T\n", html=INVITE_HTML)
    send(server, raw)
    detail = api.get("/messages/1").json()
    assert detail["languages"] == ["fi", "sv", "en"]
    links = detail["links"]
    html_links = [(link["lang"], link["text"]) for link in links if link["part"] == "html"]
    assert html_links == [("fi", "Rekisteröidy"), ("sv", "Registrera dig"), ("en", "Register")]
    assert {"url": "https://example.com/register?token=T", "text": "", "part": "text",
            "lang": None} in detail["links"]
    assert ["Subject", "Hello"] in detail["headers"]
    assert detail["text"].startswith("Open https://")
    assert detail["html"] == INVITE_HTML + "\r\n"
    assert [p["type"] for p in detail["parts"]] == ["text/plain", "text/html"]
    assert api.get("/messages/1/html").text == INVITE_HTML + "\r\n"
    part = api.get("/messages/1/parts/1")
    assert part.headers["content-type"].startswith("text/html")
    assert api.get("/messages/1/parts/9").status_code == 404
    assert api.get("/messages/99").json()["error"] == "message_not_found"


def test_attachments_listed(server: DevSMTP, api: httpx.Client) -> None:
    from email.message import EmailMessage
    from email.policy import SMTP

    msg = EmailMessage()
    msg["Subject"] = "with attachment"
    msg.set_content("see attached")
    msg.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf",
                       filename="ohje.pdf")
    send(server, msg.as_bytes(policy=SMTP))
    (summary,) = api.get("/messages").json()["messages"]
    assert summary["attachments"] == [
        {"name": "ohje.pdf", "type": "application/pdf", "size": 13, "part": 1}
    ]
    part = api.get("/messages/1/parts/1")
    assert part.content == b"%PDF-1.4 fake"
    assert 'filename="ohje.pdf"' in part.headers["content-disposition"]


def test_deletes_and_get_changes_nothing(server: DevSMTP, api: httpx.Client) -> None:
    send(server, make_message(), to=["a@example.com"])
    send(server, make_message(), to=["b@example.com"])
    send(server, make_message(), to=["b@example.com"])
    for path in ("/messages", "/messages/1", "/messages/1/raw", "/messages/1/text", "/wait"):
        api.get(path, params={"timeout": 0})
    assert server.store.count() == 3
    assert api.delete("/messages/1").json() == {"deleted": 1}
    assert api.delete("/messages/1").status_code == 404
    assert api.delete("/messages", params={"to": "b@example.com"}).json() == {"deleted": 2}
    send(server, make_message(), to=["c@example.com"])
    assert api.delete("/messages").json() == {"deleted": 1}
    assert api.get("/messages").json()["messages"] == []


def test_wait_returns_within_100ms_of_arrival(server: DevSMTP, api: httpx.Client) -> None:
    stored_at: list[float] = []

    def later() -> None:
        assert server.store.wait_until(lambda: server.store.waiting == 1)
        send(server, make_message(subject="Odotettu"), to=["waiter@example.com"])
        stored_at.append(time.perf_counter())  # after the 250, so after the commit

    thread = threading.Thread(target=later)
    thread.start()
    response = api.get("/wait", params={"to": "waiter@example.com", "timeout": 10})
    answered_at = time.perf_counter()
    thread.join()
    assert response.status_code == 200
    assert [m["subject"] for m in response.json()["messages"]] == ["Odotettu"]
    assert answered_at - stored_at[0] < 0.1


def test_wait_times_out_with_what_arrived(server: DevSMTP, api: httpx.Client) -> None:
    send(server, make_message(subject="not this one"), to=["other@example.com"])
    started = time.perf_counter()
    response = api.get("/wait", params={"to": "nobody@example.com", "timeout": 0.3})
    assert 0.3 <= time.perf_counter() - started < 3
    assert response.status_code == 408
    body = response.json()
    assert body["messages"] == []
    assert [m["subject"] for m in body["arrived"]] == ["not this one"]


def test_wait_after_and_count(server: DevSMTP, api: httpx.Client) -> None:
    send(server, make_message(subject="old"), to=["w@example.com"])
    latest = api.get("/messages").json()["latest"]
    assert api.get("/wait", params={"to": "w@example.com", "timeout": 0}).status_code == 200
    assert api.get("/wait", params={"to": "w@example.com", "after": latest,
                                    "timeout": 0.2}).status_code == 408

    def later() -> None:
        for n in range(2):
            send(server, make_message(subject=f"new {n}"), to=["w@example.com"])

    thread = threading.Thread(target=later)
    thread.start()
    response = api.get("/wait", params={"to": "w@example.com", "after": latest, "count": 2,
                                        "timeout": 10})
    thread.join()
    assert sorted(m["subject"] for m in response.json()["messages"]) == ["new 0", "new 1"]


def test_events_stream_new_and_deleted(server: DevSMTP) -> None:
    events: list[tuple[str, dict[str, object]]] = []
    ready = threading.Event()

    def listen() -> None:
        with httpx.stream("GET", f"{server.api_url}/events", timeout=10) as response:
            name = ""
            for line in response.iter_lines():
                ready.set()
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    events.append((name, json.loads(line[6:])))
                    if len(events) == 2:
                        return

    thread = threading.Thread(target=listen)
    thread.start()
    assert ready.wait(5)
    send(server, make_message(subject="live"))
    httpx.delete(f"{server.api_url}/messages/1")
    thread.join(10)
    assert not thread.is_alive()
    assert events[0][0] == "new" and events[0][1]["subject"] == "live"
    assert events[1] == ("deleted", {"ids": [1]})


def test_release_only_to_allow_listed(tmp_path: Path) -> None:
    with DevSMTP(tmp_path / "relay") as relay, DevSMTP(
        tmp_path / "capture", relay_host="127.0.0.1", relay_port=relay.smtp_port,
        relay_allow=("@allowed.example",),
    ) as capture:
        raw = make_message()
        send(capture, raw, to=["qa@example.com"])
        refused = httpx.post(f"{capture.api_url}/messages/1/release",
                             json={"to": ["someone@elsewhere.example"]})
        assert refused.status_code == 403
        assert refused.json()["error"] == "release_refused"
        ok = httpx.post(f"{capture.api_url}/messages/1/release",
                        json={"to": ["real@allowed.example"]})
        assert ok.status_code == 200, ok.text
        (released,) = relay.store.list().messages
        assert released.envelope.rcpt_to == ("real@allowed.example",)
        assert relay.store.raw(released.id) == raw


def test_release_without_a_relay_says_how_to_give_one(tmp_path: Path) -> None:
    with DevSMTP(tmp_path, relay_allow=("@allowed.example",)) as capture:
        send(capture, make_message(), to=["qa@example.com"])
        answer = httpx.post(f"{capture.api_url}/messages/1/release",
                            json={"to": ["real@allowed.example"]})
    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == "relay_missing"
    assert "--relay HOST:PORT" in body["messages"]["en"]
    assert "--relay HOST:PORT" in body["messages"]["fi"]


def test_non_loopback_http_needs_password(tmp_path: Path) -> None:
    with pytest.raises(UnsafeBind):
        DevSMTP(tmp_path, http_host="0.0.0.0").start()


def test_ui_password_protects_http(tmp_path: Path) -> None:
    with DevSMTP(tmp_path, ui_password="s3cret") as server:
        assert httpx.get(f"{server.api_url}/messages").status_code == 401
        assert httpx.get(f"{server.api_url}/messages", auth=("qa", "wrong")).status_code == 401
        assert httpx.get(f"{server.api_url}/messages", auth=("qa", "s3cret")).status_code == 200


def test_bad_parameters_are_explained(api: httpx.Client) -> None:
    response = api.get("/messages", params={"limit": "many"})
    assert response.status_code == 400
    body = response.json()
    assert "limit" in body["message"]
    assert set(body["messages"]) == {"fi", "sv", "en"}


def test_openapi_document(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert "/api/wait" in spec["paths"]
