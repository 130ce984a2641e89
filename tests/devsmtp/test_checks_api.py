"""GET /api/messages/{id}/checks on a real server."""

from __future__ import annotations

import httpx

from devsmtp import DevSMTP

from .conftest import make_message, send

HTML = '<p>Hei</p>\n<div style="display: flex"><a href="https://example.com/x">x</a></div>'


def test_the_checks_of_a_message(server: DevSMTP, api: httpx.Client) -> None:
    send(server, make_message(html=HTML))
    body = api.get("/messages/1/checks").json()
    assert set(body) == {"id", "html", "links", "spam"} and body["id"] == 1
    flex = next(f for f in body["html"]["unsupported"] if f["slug"] == "css-display-flex")
    assert flex["line"] == 2 and "outlook-windows" in flex["unsupported"]
    assert [s["client"] for s in body["html"]["scores"]] == [
        "outlook-windows", "outlook-com", "gmail", "apple-mail", "yahoo", "samsung-email"]
    (link,) = body["links"]["links"]
    assert link["url"] == "https://example.com/x" and link["fetched"] is False
    assert link["note"].startswith("not fetched")
    assert body["spam"]["available"] is True and body["spam"]["threshold"] == 5.0
    assert {rule["name"] for rule in body["spam"]["rules"]} >= {"HTML_MESSAGE"}


def test_one_check_and_some_clients(server: DevSMTP, api: httpx.Client) -> None:
    send(server, make_message(html=HTML))
    body = api.get("/messages/1/checks", params={"checks": "html", "clients": "gmail"}).json()
    assert set(body) == {"id", "html"}
    assert [s["client"] for s in body["html"]["scores"]] == ["gmail"]
    text_only = api.get("/messages/1/checks", params={"checks": "links"}).json()
    assert set(text_only) == {"id", "links"}


def test_a_message_without_html(server: DevSMTP, api: httpx.Client) -> None:
    send(server, make_message())
    assert api.get("/messages/1/checks", params={"checks": "html"}).json()["html"] is None


def test_bad_requests_are_explained(server: DevSMTP, api: httpx.Client) -> None:
    send(server, make_message(html=HTML))
    for params, words in (({"checks": "virus"}, "'checks' may name html, links, spam"),
                          ({"clients": "nokia"}, "unknown client family nokia"),
                          ({"lang": "de"}, "'lang' must be fi, sv or en")):
        response = api.get("/messages/1/checks", params=params)
        assert response.status_code == 400 and words in response.json()["message"]
    assert api.get("/messages/9/checks").json()["error"] == "message_not_found"


def test_the_checks_are_in_the_openapi_document(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()
    answer = spec["paths"]["/api/messages/{id}/checks"]["get"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Checks"
    schemas = spec["components"]["schemas"]
    for name in ("Checks", "CompatReport", "ClientScore", "CompatFeature", "LinksReport",
                 "LinkCheck", "TokenState", "SpamReport"):
        assert name in schemas
