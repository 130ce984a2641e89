"""Issue 12, item 11: token decoder bombs in devsmtp's token peek.

A zlib-compressed payload expanding to hundreds of megabytes, and a deeply nested JSON
payload (RecursionError, a 500 on every view), are both "not an invitation token" now.
"""

from __future__ import annotations

import json
import tracemalloc
import zlib

import httpx
import pytest
from itsdangerous.encoding import base64_encode

from devsmtp import DevSMTP
from devsmtp.mail.token import TokenUnreadable, peek_token

from .conftest import devsmtp_mail, devsmtp_send

TIMESTAMP = base64_encode((1_800_000_000).to_bytes(4, "big")).decode()


def _token(payload: bytes, compressed: bool) -> str:
    if compressed:
        payload = zlib.compress(payload, 9)
    body = base64_encode(payload).decode()
    return ("." if compressed else "") + f"{body}.{TIMESTAMP}.c2lnbmF0dXJl"


ZIP_BOMB = _token(b"[" + b" " * 200_000_000 + b"]", compressed=True)
NESTED = _token(b"[" * 100_000 + b"]" * 100_000, compressed=True)


def test_zip_bomb_is_refused_with_bounded_memory() -> None:
    tracemalloc.start()
    try:
        with pytest.raises(TokenUnreadable):
            peek_token(ZIP_BOMB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024


def test_nested_payload_is_refused() -> None:
    with pytest.raises(TokenUnreadable):
        peek_token(NESTED)
    with pytest.raises(TokenUnreadable):
        peek_token(_token(b"[" * 900 + b"]" * 900, compressed=False))


def test_overlong_token_is_refused() -> None:
    with pytest.raises(TokenUnreadable):
        peek_token(_token(json.dumps(["a" * 20_000, "n"]).encode(), compressed=False))


@pytest.mark.parametrize("token", [ZIP_BOMB, NESTED], ids=["zip", "nested"])
def test_message_page_says_not_an_invitation_token(devsmtp_server: DevSMTP, token: str) -> None:
    link = f"http://127.0.0.1:8000/register?token={token}"
    devsmtp_send(devsmtp_server, devsmtp_mail(f'<p lang="en"><a href="{link}">Join</a></p>'))
    page = httpx.get(devsmtp_server.http_url + "/messages/1?lang=en", timeout=60)
    assert page.status_code == 200
    assert 'data-testid="invitation-undecodable"' in page.text
