"""Issue 12, item 13: only http/https links become anchors in the invitation panel.

A ``javascript:`` registration link was rendered as the panel's button (only the CSP
stopped it running).
"""

from __future__ import annotations

import re

import httpx
import pytest

from devsmtp import DevSMTP

from .conftest import devsmtp_mail, devsmtp_send


@pytest.mark.parametrize("link", ["javascript:alert(1)//x/register?token=abc.def.ghi",
                                  "data:text/html,x/register?token=abc.def.ghi",
                                  "JavaScript:alert(1)//x/register?token=abc.def.ghi"])
def test_non_web_link_is_no_anchor(devsmtp_server: DevSMTP, link: str) -> None:
    devsmtp_send(devsmtp_server, devsmtp_mail(f'<p lang="en"><a href="{link}">Join</a></p>'))
    page = httpx.get(devsmtp_server.http_url + "/messages/1?lang=en").text
    anchors = re.findall(r'<a\b[^>]*href="([^"]*)"', page)
    assert not [href for href in anchors if href.lower().startswith(("javascript", "data"))]


def test_https_link_stays_an_anchor(devsmtp_server: DevSMTP) -> None:
    link = "https://127.0.0.1/register?token=abc.def.ghi"
    devsmtp_send(devsmtp_server, devsmtp_mail(f'<p lang="en"><a href="{link}">Join</a></p>'))
    page = httpx.get(devsmtp_server.http_url + "/messages/1?lang=en").text
    assert re.search(r'<a [^>]*href="https://127.0.0.1/register\?token=abc.def.ghi"[^>]*'
                     r'data-testid="open-link"', page)
