"""Issue 12, item 2: no link on any page leads off-site, whatever the request path.

A 404 page reached at ``//other.host/x`` (or ``/%09/other.host``) built its language
links from the request path, so ``//other.host/x?lang=sv`` led to another host. The raw
request line is sent with ``http.client`` so that no client rewrites the path first.
"""

from __future__ import annotations

import http.client
import re
from urllib.parse import urljoin, urlsplit

import pytest

from tests.browser.scenario_support import Site

HREF = re.compile(r"""\b(?:href|src|action)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


def _resolve(page_url: str, reference: str) -> str:
    """Resolve ``reference`` as a browser does: the WHATWG URL parser drops ASCII tab and
    newline and reads a backslash as a slash in http(s) URLs before resolving."""
    cleaned = re.sub(r"[\t\n\r]", "", reference.strip()).replace("\\", "/")
    return urljoin(page_url, cleaned)


@pytest.mark.parametrize("path", ["//other.host/x", "/%09/other.host", "/\\other.host/x",
                                  "//other.host/register?lang=fi"])
@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_every_link_on_an_error_page_stays_on_this_site(site: Site, path: str,
                                                        lang: str) -> None:
    connection = http.client.HTTPConnection(site.web.host, site.web.port, timeout=10)
    try:
        connection.request("GET", path, headers={"Accept-Language": lang})
        response = connection.getresponse()
        body = response.read().decode()
    finally:
        connection.close()
    assert response.status == 404
    page_url = f"{site.web.url}{path}"
    links = HREF.findall(body)
    assert any("lang=" in link for link in links), body  # the language links are there
    origin = urlsplit(site.web.url)
    for link in links:
        target = urlsplit(_resolve(page_url, link))
        assert (target.scheme, target.netloc) == (origin.scheme, origin.netloc), (link, body)
