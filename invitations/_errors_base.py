"""The root of the error hierarchy and how every error words its message."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar

from ._labels import LANGUAGES, field_label, format_time, localized


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
        template = self._template(lang)
        text = template.format(**self._params_for(lang)) if self.params else template
        if self.detail and lang == "en":
            text = f"{text} ({self.detail})"
        return text

    def _template(self, lang: str) -> str:
        """The template for ``lang``; subclasses may choose another table."""
        return localized(self.messages, lang)

    def _params_for(self, lang: str) -> Mapping[str, object]:
        """The template's fields for ``lang``; subclasses may word them per language."""
        return self.params

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready description: code, messages in every language, parameters."""
        return {
            "code": self.code,
            "message": {lang: self.message(lang) for lang in LANGUAGES},
            "detail": self.detail,
            "params": {k: _english(v) for k, v in self.params.items()},
        }


def _english(value: object) -> str:
    if isinstance(value, Mapping) and set(value) <= set(LANGUAGES):
        return localized(value, "en")
    return str(value)


class _PerLanguageParams(InvitationError):
    """An error whose parameters are worded per language: a field's label, times."""

    def _params_for(self, lang: str) -> dict[str, object]:
        params = dict(self.params)
        if "field" in params:
            params["label"] = field_label(str(params["field"]), lang)
        for key, value in params.items():
            if isinstance(value, datetime):
                params[key] = format_time(value, lang)
            elif isinstance(value, Mapping) and set(value) <= set(LANGUAGES):
                params[key] = localized(value, lang)  # a reason worded per language
        return params
