"""What a failed mail expectation raises, and the token peek that raises it."""

from __future__ import annotations

from ..mail import InvitationToken, TokenUnreadable, peek_token

__all__ = ["MailAssertionError", "decode_token"]


class MailAssertionError(AssertionError):
    """A mail expectation failed; the message lists the mail that did arrive."""


def decode_token(token: str, validity_days: float = 7) -> InvitationToken:
    """Read an itsdangerous timed token's payload and timestamp without its key.

    The signature is *not* checked (the test has no business holding the
    service's keys); use the service's ``verify`` for that. Raises
    :class:`MailAssertionError` when ``token`` is not such a token.
    """
    try:
        return peek_token(token, validity_days)
    except TokenUnreadable as error:
        raise MailAssertionError(str(error)) from error
