"""Errors for operators rather than end users: configuration and delivery."""

from __future__ import annotations

from ._errors_base import InvitationError


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


class DeliveryFailed(InvitationError):
    """Raised only on request: the mail server refused or could not be reached."""

    code = "delivery_failed"
    messages = {
        "fi": "Viestin lähetys osoitteeseen {recipient} epäonnistui: {reply}. Viesti on "
        "tallessa; ylläpito voi lähettää sen uudelleen.",
        "sv": "Meddelandet till {recipient} kunde inte skickas: {reply}. Meddelandet är "
        "sparat; administratören kan skicka det igen.",
        "en": "The message to {recipient} could not be sent: {reply}. It is kept; an "
        "operator can send it again.",
    }
