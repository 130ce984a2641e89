"""What both recipes' tests share: the registration form as a browser fills it in,
and what the pages show for a taken username."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

#: The new user's password: meets the document's rules and contains no part of "Matti".
PASSWORD = "Kevat2026+Lintu"
#: The toolkit's words for ``username_taken`` beside the field, per language.
USERNAME_TAKEN = [
    ("fi", "Tämä käyttäjätunnus on jo käytössä."),
    ("sv", "Det här användarnamnet används redan."),
    ("en", "This username is already in use."),
]


def hidden(html: str, name: str) -> str:
    """The value of the form's field ``name`` (a CSRF token, the invitation id)."""
    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert match, f"no {name} in the page"
    return match.group(1)


def filled_in(form_html: str, email: str, username: str, lang: str = "fi"
              ) -> dict[str, str]:
    """The registration form of ``form_html`` as a person completes it."""
    assert 'data-testid="field-username"' in form_html, "not the registration form"
    return {"first_name": "Matti", "last_name": "Meikäläinen", "email": email,
            "username": username, "password": PASSWORD, "lang": lang,
            "csrf_token": hidden(form_html, "csrf_token"),
            "invitation": hidden(form_html, "invitation")}


def username_errors(html: str) -> str:
    """The errors shown beside the username field ("" when none)."""
    match = re.search(r'data-testid="errors-username">(.*?)</ul>', html, re.S)
    return match.group(1) if match else ""


def in_a_thread(function: Callable[P, T]) -> Callable[P, T]:
    """``function``, run in a thread of its own when called.

    In the full suite a worker's main thread may have a running event loop (Playwright's
    sync API drives the browser tests from it): there Django refuses the ORM as "async
    context" and ``asyncio.run`` refuses to start. A fresh thread has no loop.
    """
    @functools.wraps(function)
    def threaded(*args: P.args, **kwargs: P.kwargs) -> T:
        with ThreadPoolExecutor(max_workers=1) as thread:
            return thread.submit(function, *args, **kwargs).result()

    return threaded
