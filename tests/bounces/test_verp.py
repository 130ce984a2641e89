"""Signed per-message return paths: short, verifiable, forgery matches nothing."""

from __future__ import annotations

import pytest

from invitations.bounces.verp import ReturnPath
from invitations.errors import ConfigurationError

KEY = "bounces-test-key-0123456789-abcdefghijklmnop"
OLD_KEY = "bounces-old-key-9876543210-zyxwvutsrqponmlkj"


def test_return_path_is_short_lowercase_and_verifies() -> None:
    path = ReturnPath.create("Bounces@Example.ORG", KEY)
    sender = path.sender_for("<1.2.3@posti.fi>")
    local, _, domain = sender.rpartition("@")
    assert domain == "example.org"
    assert local.startswith("Bounces+") and len(local) <= 40
    assert local.partition("+")[2].isalnum() and local.partition("+")[2].islower()
    assert path.verified(sender) == sender
    # A relay that folds the local part's case does not break it.
    assert path.verified(sender.upper()) == sender
    assert path.verified(f"<{sender}>") == sender
    assert sender != path.sender_for("<1.2.4@posti.fi>")


@pytest.mark.parametrize("change", [
    lambda s: s.replace("+", "+a", 1)[:-1],  # shifted
    lambda s: s[: s.index("@") - 1] + ("b" if s[s.index("@") - 1] != "b" else "c")
    + s[s.index("@"):],  # last MAC character altered
    lambda s: s.split("+")[0] + "+" + "a" * 23 + "@example.org",  # invented
    lambda s: s.split("+")[0] + "+" + s.split("+")[1][:5] + "@example.org",  # cut
    lambda s: s.replace("@example.org", "@example.net"),  # other domain
    lambda s: s.replace("bounces+", "other+"),  # other mailbox
])
def test_altered_or_forged_tags_verify_to_nothing(change: object) -> None:
    path = ReturnPath.create("bounces@example.org", KEY)
    sender = path.sender_for("<1.2.3@posti.fi>")
    assert callable(change)
    assert path.verified(change(sender)) is None


def test_another_installations_tag_does_not_verify() -> None:
    ours = ReturnPath.create("bounces@example.org", KEY)
    theirs = ReturnPath.create("bounces@example.org", OLD_KEY + "-other")
    assert ours.verified(theirs.sender_for("<1.2.3@posti.fi>")) is None


def test_tags_signed_with_a_retired_key_still_verify_after_rotation() -> None:
    before = ReturnPath.create("bounces@example.org", [OLD_KEY])
    after = ReturnPath.create("bounces@example.org", [KEY, OLD_KEY])
    sender = before.sender_for("<1.2.3@posti.fi>")
    assert after.verified(sender) == sender
    assert ReturnPath.create("bounces@example.org", [KEY]).verified(sender) is None


def test_accepts_the_plain_and_tagged_address_only() -> None:
    path = ReturnPath.create("bounces@example.org", KEY)
    assert path.accepts("bounces@example.org")
    assert path.accepts("BOUNCES+anything@EXAMPLE.org")
    assert not path.accepts("bouncesx@example.org")
    assert not path.accepts("bounces@example.org.evil")


@pytest.mark.parametrize("address", ["", "bounces", "bounces+x@example.org",
                                     "a b@example.org", "@example.org", "x" * 31 + "@e.org"])
def test_a_bad_bounce_address_is_refused_at_start(address: str) -> None:
    with pytest.raises(ConfigurationError):
        ReturnPath.create(address, KEY)
