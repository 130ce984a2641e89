"""Issue 12, item 5: a display name becomes exactly one address in the header.

Python 3.11 decodes an RFC 2047 encoded word inside a display name and folds the
decoded text back unquoted: ``=?utf-8?q?attacker=40evil=2Eexample=2C?=`` used to
write ``To: attacker@evil.example, <invitee@...>``; ``=?utf-8?q?x=0A?=`` crashed.
"""

from __future__ import annotations

import dataclasses
from email import message_from_bytes
from email.headerregistry import Address
from email.policy import default

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from invitations.errors import HeaderInjection, InvitationError
from invitations.rendering import renderer_for
from invitations.rendering.samples import sample_invitation
from invitations.theme import POSTI

RENDERER = renderer_for(POSTI)
TO = "invitee@example.fi"
SENDER = "noreply@posti.fi"


def compose(to_name: str | None = None, sender: str = f"Posti <{SENDER}>") -> bytes:
    email = sample_invitation(to_email=TO, to_name=to_name, sender=sender)
    return RENDERER.compose_invitation(email).data


def addresses(data: bytes, field: str) -> list[Address]:
    """Every address a reader finds in ``field`` (all occurrences)."""
    msg = message_from_bytes(data, policy=default)
    found: list[Address] = []
    for value in msg.get_all(field) or []:
        found.extend(value.addresses)
    return found


@pytest.mark.parametrize("name", [
    "=?utf-8?q?attacker=40evil=2Eexample=2C?=",
    "=?utf-8?q?attacker=40evil=2Eexample=2C?= Matti",
    "Matti =?utf-8?b?YXR0YWNrZXJAZXZpbC5leGFtcGxlLA==?=",
])
def test_an_encoded_word_cannot_add_a_recipient(name: str) -> None:
    try:
        data = compose(name)
    except HeaderInjection:
        return
    found = addresses(data, "To")
    assert [a.addr_spec for a in found] == [TO]
    assert found[0].display_name == name


def test_an_encoded_line_break_is_refused_not_a_traceback() -> None:
    with pytest.raises(HeaderInjection):
        compose("=?utf-8?q?x=0A?=")


def test_an_encoded_word_in_the_sender_name_cannot_add_a_sender() -> None:
    try:
        data = compose(sender=f'"=?utf-8?q?attacker=40evil=2Eexample=2C?=" <{SENDER}>')
    except InvitationError:
        return
    assert [a.addr_spec for a in addresses(data, "From")] == [SENDER]


_PIECES = st.sampled_from([
    "=?utf-8?q?", "=?utf-8?b?", "?=", "=40", "=2C", "=0A", "=22", "=3C", "=3E", "@", ",", ";",
    ":", "<", ">", '"', "\\", "(", ")", "'", " ", "  ", "\t", "\r", "\n", "\x00", "\x7f",
    "\u2028", "\u200b", "ä", "Ö", "日本", "attacker@evil.example", "Matti", "q", "b",
])
NAMES = st.one_of(
    st.text(max_size=40),
    st.lists(_PIECES, max_size=12).map("".join),
    st.lists(st.one_of(_PIECES, st.text(max_size=3)), max_size=10).map("".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(to_name=NAMES, sender_name=NAMES)
def test_to_from_and_reply_to_parse_back_to_exactly_the_intended_addresses(
    to_name: str, sender_name: str
) -> None:
    quoted = sender_name.replace("\\", "\\\\").replace('"', '\\"')
    try:
        data = compose(to_name or None, sender=f'"{quoted}" <{SENDER}>')
    except InvitationError:
        return  # refused with a message: fine
    to = addresses(data, "To")
    sender = addresses(data, "From")
    assert [a.addr_spec for a in to] == [TO]
    assert [a.addr_spec for a in sender] == [SENDER]
    assert to[0].display_name == " ".join((to_name or "").split())
    assert [a.addr_spec for a in addresses(data, "Reply-To")] in ([], [SENDER])


def test_plain_and_non_ascii_names_still_go_through() -> None:
    for name in ("Matti Meikäläinen", "Ö'Brien, Sean", 'Jane "JJ" Doe', "back\\slash"):
        found = addresses(compose(name), "To")
        assert [(a.display_name, a.addr_spec) for a in found] == [(name, TO)]


def test_sample_is_unchanged() -> None:
    email = dataclasses.replace(sample_invitation(), to_name="Matti Virtanen")
    assert b"Matti Virtanen" in RENDERER.compose_invitation(email).data
