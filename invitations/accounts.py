"""The account hand-off: the registration creates the account in the host's own
user directory through an :class:`AccountCreator` the host implements.

The toolkit owns the invitation (who may register, once, before expiry); the host
owns accounts (usernames, password hashes, sign-in). The form's password goes to
:meth:`AccountCreator.create_account` and nowhere else: the toolkit never stores,
logs or shows it.

The contract, from the toolkit's side (:meth:`invitations.InvitationService.redeem`):

1. The invitation is claimed first (a short ``registering`` lease in the store), so
   concurrent submits of one invitation call ``create_account`` once.
2. ``create_account`` runs; raising :class:`AccountRejected` shows its field errors
   beside the fields, anything else the generic problem page. Either way the
   invitation stays ``pending`` and the lease is given back.
3. Only then is the invitation marked accepted, with the returned
   :attr:`AccountRef.id`, in one transaction.

If the process dies between 2 and 3, the lease runs out and the next submit calls
``create_account`` again **with the same** ``invitation.id``: an implementation must
be idempotent on that id (return the account it made for it, not a second one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from invitations.errors import FIELD_TEXTS, FieldError, RegistrationRejected
from invitations.models import Invitation, Registration

__all__ = ["FIELD_TEXTS", "AccountCreator", "AccountRef", "AccountRejected"]


@dataclass(frozen=True)
class AccountRef:
    """The host's account made for an invitation; ``id`` is stored with the invitation."""

    id: str


class AccountRejected(RegistrationRejected):
    """The host refuses the account; ``errors`` are shown beside their form fields.

    Each :class:`~invitations.errors.FieldError` gives a code the toolkit words
    itself (``username_taken``, ``email_has_account``, ``password_refused``) or the
    host's own ``messages={"fi": ..., "sv": ..., "en": ...}``.
    """

    code = "account_rejected"

    def __init__(self, errors: Sequence[FieldError]) -> None:
        if not errors:
            raise ValueError("AccountRejected needs at least one FieldError")
        super().__init__(errors)


@runtime_checkable
class AccountCreator(Protocol):
    """What the host implements to receive the registration."""

    def create_account(self, invitation: Invitation, registration: Registration) -> AccountRef:
        """Create the account for ``registration`` (the password in clear: hash it).

        Must be idempotent on ``invitation.id``: called again for the same invitation
        (after a crash before the toolkit committed), return the same account.
        ``registration.email_confirmed`` is ``False`` when the person changed the
        e-mail address: create the account disabled; :meth:`enable_account` follows
        once the new address is confirmed. Raise :class:`AccountRejected` to refuse.
        Runs in a worker thread, never on the event loop.
        """
        ...

    def enable_account(self, invitation: Invitation, account: AccountRef) -> None:
        """Enable the account created disabled for ``invitation`` (its changed e-mail
        address was just confirmed). Must be idempotent."""
        ...
