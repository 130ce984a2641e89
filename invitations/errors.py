"""One exception hierarchy for the whole toolkit.

Every error has a stable ``code`` (for APIs, logs and tests) and a message in
Finnish, Swedish and English (for people). ``str(error)`` is the English text
so that tracebacks stay readable for developers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

LANGUAGES = ("fi", "sv", "en")


class InvitationError(Exception):
    """Base class of every error raised by :mod:`invitations`."""

    code: ClassVar[str] = "invitation_error"
    #: Message templates per language; ``str.format`` fields come from ``params``.
    messages: ClassVar[Mapping[str, str]] = {
        "fi": "Kutsun käsittely epäonnistui.",
        "sv": "Inbjudan kunde inte behandlas.",
        "en": "The invitation could not be processed.",
    }

    def __init__(self, detail: str | None = None, **params: object) -> None:
        self.detail = detail
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        """Return the message for a person reading ``lang`` (``fi``, ``sv`` or ``en``)."""
        template = self.messages.get(lang) or self.messages["en"]
        text = template.format(**self.params) if self.params else template
        if self.detail and lang == "en":
            text = f"{text} ({self.detail})"
        return text

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready description: code, messages in every language, parameters."""
        return {
            "code": self.code,
            "message": {lang: self.message(lang) for lang in LANGUAGES},
            "detail": self.detail,
            "params": {k: str(v) for k, v in self.params.items()},
        }


class ConfigurationError(InvitationError):
    """The toolkit is configured wrongly; raised at start-up, never later."""

    code = "configuration_error"
    messages = {
        "fi": "Virheellinen asetus: {what}",
        "sv": "Felaktig inställning: {what}",
        "en": "Invalid configuration: {what}",
    }

    def __init__(self, what: str) -> None:
        super().__init__(what=what)
