"""The mail model: one parse of one captured message, read by every room.

:class:`ParsedMail` (headers, bodies, parts, links, language sections,
invitation link), :func:`summarize` (the arrival summary the store indexes)
and :func:`peek_token` (an invitation token read without its key).
"""

from __future__ import annotations

from .links import Link, invitation_link, text_links
from .mime import content_disposition
from .parsed import ParsedMail
from .sections import Section, expiry_instants, html_sections
from .summary import Attachment, Part, Summary, summarize
from .token import InvitationToken, TokenUnreadable, peek_token

__all__ = [
    "Attachment",
    "InvitationToken",
    "Link",
    "ParsedMail",
    "Part",
    "Section",
    "Summary",
    "TokenUnreadable",
    "content_disposition",
    "expiry_instants",
    "html_sections",
    "invitation_link",
    "peek_token",
    "summarize",
    "text_links",
]
