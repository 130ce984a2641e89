"""One captured message, parsed once: headers, bodies, parts, links, sections, token.

:class:`ParsedMail` is the mail model every room reads: the API's message
detail, the inbox's message page and invitation panel, and the pytest
plugin's :class:`~devsmtp.testing.CapturedMail` (which adds the assertions).
The bytes are parsed once (``compat32``, see :mod:`devsmtp.mail.mime`); the
arrival summary is reused when the store already has it; the rest is
computed on first use and kept.
"""

from __future__ import annotations

from email.message import Message
from functools import cached_property

from .links import Link, invitation_link
from .mime import bodies, decode_header_value, leaf_parts, parse_bytes, part_content
from .report import DeliveryStatus, delivery_statuses
from .sections import Section, html_sections
from .summary import Summary, summarize

__all__ = ["ParsedMail"]


class ParsedMail:
    """The exact bytes of one message plus parsed views of them (never raises on junk)."""

    def __init__(self, raw: bytes, *, summary: Summary | None = None) -> None:
        self.raw = raw
        #: The ``compat32`` MIME tree.
        self.tree: Message = parse_bytes(raw)
        self._summary = summary

    @property
    def summary(self) -> Summary:
        """The arrival summary (the store's, or computed from this parse)."""
        if self._summary is None:
            self._summary = summarize(self.raw, self.tree)
        return self._summary

    # -- headers

    @cached_property
    def headers(self) -> list[tuple[str, str]]:
        """Every header as ``(name, decoded value)``, in order."""
        return [(name, decode_header_value(value)) for name, value in self.tree.raw_items()]

    def header(self, name: str) -> str | None:
        """The first ``name`` header, decoded, or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def header_values(self, name: str) -> list[str]:
        """Every ``name`` header, decoded."""
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    @cached_property
    def delivery_statuses(self) -> list[DeliveryStatus] | None:
        """Per recipient, what a delivery status notification reports (None: not a DSN)."""
        return delivery_statuses(self.tree)

    @property
    def subject(self) -> str:
        """The decoded subject, ``""`` when absent."""
        return self.summary.subject

    # -- bodies and parts

    @cached_property
    def _bodies(self) -> tuple[str | None, str | None]:
        return bodies(self.tree)

    @property
    def text(self) -> str | None:
        """The first inline text/plain body, decoded."""
        return self._bodies[0]

    @property
    def html(self) -> str | None:
        """The first inline text/html body, decoded."""
        return self._bodies[1]

    @cached_property
    def parts(self) -> list[Message]:
        """Every leaf part in walk order; ``/parts/{n}`` indexes this list."""
        return leaf_parts(self.tree)

    def part(self, index: int) -> tuple[str, bytes, str | None] | None:
        """``(content type, decoded bytes, file name)`` of leaf part ``index``, or None."""
        if not 0 <= index < len(self.parts):
            return None
        return part_content(self.parts[index])

    # -- links, language sections, invitation

    @property
    def links(self) -> list[Link]:
        """Links of the HTML part (anchor text, nearest ``lang``), then of the text part."""
        return self.summary.links

    @cached_property
    def sections(self) -> list[Section]:
        """The HTML's language sections (elements with ``lang``), in document order.

        Each section's ``links`` are the HTML links in its language.
        """
        sections = html_sections(self.html or "")
        for section in sections:
            section.links = [link for link in self.links
                             if link.part == "html" and link.lang == section.lang]
        return sections

    @property
    def languages(self) -> list[str]:
        """The sections' languages, in document order."""
        return [section.lang for section in self.sections]

    def find_section(self, lang: str) -> Section | None:
        return next((s for s in self.sections if s.lang == lang), None)

    def find_invitation(self, *, strict: bool = False) -> tuple[str, str] | None:
        """The invitation link and its token (see :func:`~devsmtp.mail.links.invitation_link`)."""
        return invitation_link(self.links, strict=strict)
