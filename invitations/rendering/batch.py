"""Compose many invitations that differ only in recipient, link and expiry instant.

The rows of a bulk file usually share inviter, company, role, languages and
the expiry minute; between such rows an invitation's texts differ only in the
recipient's name, the registration link and the machine-readable expiry
instant. :class:`BatchComposer` renders the templates once per such group
with unique markers in those three places, then fills each message in by
string replacement (HTML-escaped in the HTML, as autoescaping would). The
MIME message is still built for each one.

The first message of every group is also rendered the ordinary way and the
two are compared; if they differ (a template that transforms one of the
three values, say), the group is rendered the ordinary way from then on.
A test renders varied rows both ways and compares them byte for byte.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import replace

from markupsafe import escape

from invitations.models import OutgoingMessage
from invitations.rendering.context import InvitationEmail
from invitations.rendering.renderer import RenderedEmail, Renderer, instant, renderer_for

__all__ = ["BatchComposer"]

# Private-use characters around a per-process random tag: no real name or
# link can contain one by accident, and no escaping touches them.
_TAG = secrets.token_hex(8)
NAME, LINK, WHEN = (f"\ue000{_TAG}{part}\ue001" for part in ("name", "link", "when"))


class BatchComposer:
    """Compose invitations, rendering each group's templates once.

    Keeps the skeletons of the last ``groups`` groups. Not thread-safe: use
    one per thread (a bulk run composes in one thread per process).
    """

    def __init__(self, renderer: Renderer | None = None, *, groups: int = 256) -> None:
        self.renderer = renderer or renderer_for()
        self.groups = groups
        #: Group key -> skeleton, or ``None`` for a group that must render in full.
        self._skeletons: OrderedDict[Hashable, RenderedEmail | None] = OrderedDict()

    def compose(self, email: InvitationEmail) -> OutgoingMessage:
        """The same message as :meth:`Renderer.compose_invitation` gives."""
        return self.renderer.compose(email, self.render(email))

    def render(self, email: InvitationEmail) -> RenderedEmail:
        """The same texts as :meth:`Renderer.render_invitation` gives."""
        key = (email.languages, email.inviter_name, email.company_name, email.invited_role,
               email.validity, bool(email.to_name), self.renderer.expiry_texts(email))
        if key in self._skeletons:
            self._skeletons.move_to_end(key)
            skeleton = self._skeletons[key]
            if skeleton is None:
                return self.renderer.render_invitation(email)
            return _fill(skeleton, email)
        return self._first(key, email)

    def _first(self, key: Hashable, email: InvitationEmail) -> RenderedEmail:
        ordinary = self.renderer.render_invitation(email)
        marked = replace(email, link=LINK, to_name=NAME if email.to_name else email.to_name)
        skeleton: RenderedEmail | None = self.renderer.render_invitation(
            marked, expires_iso=WHEN
        )
        if skeleton is None or any(m in skeleton.subject for m in (NAME, LINK, WHEN)) or (
            _fill(skeleton, email) != ordinary
        ):
            skeleton = None
        self._skeletons[key] = skeleton
        if len(self._skeletons) > self.groups:
            self._skeletons.popitem(last=False)
        return ordinary


def _fill(skeleton: RenderedEmail, email: InvitationEmail) -> RenderedEmail:
    name = email.to_name or ""
    when = instant(email.expires_at)
    text = skeleton.text.replace(NAME, name).replace(LINK, email.link).replace(WHEN, when)
    html = (
        skeleton.html.replace(NAME, str(escape(name)))
        .replace(LINK, str(escape(email.link)))
        .replace(WHEN, str(escape(when)))
    )
    return RenderedEmail(skeleton.subject, text, html, skeleton.languages)
