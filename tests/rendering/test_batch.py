"""BatchComposer: one rendering per group, byte-identical messages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from invitations.rendering import InvitationEmail, RenderedEmail, Renderer, renderer_for
from invitations.rendering.batch import BatchComposer

NAMES = ["Matti Virtanen", None, "", 'Åsa <b>"Ö"</b> & Co', "Ääkkönen O'Brien", "x" * 120]
LINKS = [
    "http://127.0.0.1:8000/register?token=abc.DEF_-1",
    "http://127.0.0.1:8000/register?token=x.y&lang=sv",
]


class Counting(Renderer):
    """Counts full renderings."""

    calls = 0

    def render_invitation(
        self, email: InvitationEmail, *, expires_iso: str | None = None
    ) -> RenderedEmail:
        Counting.calls += 1
        return super().render_invitation(email, expires_iso=expires_iso)


def varied(invitation: Callable[..., InvitationEmail]) -> list[InvitationEmail]:
    base = invitation()
    emails = []
    for n in range(40):
        emails.append(
            replace(
                base,
                to_name=NAMES[n % len(NAMES)],
                to_email=f"user{n}@example.com",
                link=LINKS[n % len(LINKS)] + str(n),
                message_id=f"<inv-{n}@posti.fi>",
                # Seconds differ inside one minute; every 15th row is a minute later.
                expires_at=base.expires_at + timedelta(seconds=n * 4),
                languages=(("fi", "sv", "en"), ("en",), ("sv", "fi"))[n % 3],
                inviter_name="Maija" if n % 5 else "Pekka <Pääkäyttäjä>",
                invited_role="main_user" if n % 7 == 0 else "user",
            )
        )
    return emails


def test_messages_are_byte_identical_to_ordinary_composition(
    invitation: Callable[..., InvitationEmail],
) -> None:
    composer = BatchComposer()
    ordinary = renderer_for()
    for email in varied(invitation):
        assert composer.compose(email).data == ordinary.compose_invitation(email).data, email


def test_a_group_is_rendered_once(invitation: Callable[..., InvitationEmail]) -> None:
    renderer = Counting()
    composer = BatchComposer(renderer)
    base = invitation()
    Counting.calls = 0
    for n in range(30):
        email = replace(base, to_name=f"Nimi {n}", link=f"http://127.0.0.1/r?t={n}",
                        expires_at=base.expires_at.replace(second=n))
        message = composer.compose(email)
        assert f"Nimi {n}".encode() in message.data  # plain ASCII: visible in QP text
    # The first row: once the ordinary way, once with markers; then none.
    assert Counting.calls == 2


def test_a_template_that_changes_a_value_falls_back_to_full_rendering(
    invitation: Callable[..., InvitationEmail],
) -> None:
    class Shouting(Counting):
        def render_invitation(
            self, email: InvitationEmail, *, expires_iso: str | None = None
        ) -> RenderedEmail:
            loud = replace(email, to_name=email.to_name.upper() if email.to_name else None)
            return super().render_invitation(loud, expires_iso=expires_iso)

    renderer = Shouting()
    composer = BatchComposer(renderer)
    base = invitation()
    Counting.calls = 0
    for n in range(5):
        email = replace(base, to_name=f"nimi {n}")
        assert composer.compose(email).data == renderer.compose_invitation(email).data
        assert f"NIMI {n}".encode() in composer.compose(email).data
    # Marked rendering found the mismatch: every row afterwards renders in full.
    assert Counting.calls > 2 * 5


def test_old_groups_are_forgotten(invitation: Callable[..., InvitationEmail]) -> None:
    composer = BatchComposer(groups=3)
    base = invitation()
    start = datetime(2025, 3, 14, 13, 5, tzinfo=UTC)
    for minute in range(10):
        email = replace(base, expires_at=start + timedelta(minutes=minute))
        assert composer.compose(email).data == renderer_for().compose_invitation(email).data
    assert len(composer._skeletons) == 3
