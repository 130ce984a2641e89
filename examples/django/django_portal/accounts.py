"""The account hand-off into ``django.contrib.auth``: :class:`DjangoAccounts`.

The registration pages call :meth:`DjangoAccounts.create_account` in a worker
thread (never on an event loop), so the ORM is used as in any sync view; the
thread's database connection is closed afterwards, since no request cycle does
it for that thread.
"""

from django.contrib.auth import get_user_model
from django.db import close_old_connections, connection, transaction

from invitations import AccountRef, AccountRejected, FieldError, Invitation, Registration

from .models import InvitedAccount


class DjangoAccounts:
    """Creates the ``auth.User`` for an invitation (password hashed by Django's
    hasher); an :class:`invitations.AccountCreator`, idempotent on the invitation id
    through :class:`~django_portal.models.InvitedAccount`."""

    def create_account(self, invitation: Invitation, registration: Registration) -> AccountRef:
        """Create, or for an invitation seen before update, the user; refuse a username
        or an e-mail address that belongs to another user."""
        close_old_connections()
        try:
            return self._create(invitation, registration)
        finally:
            connection.close()

    def _create(self, invitation: Invitation, registration: Registration) -> AccountRef:
        users = get_user_model()
        with transaction.atomic():
            mine = (InvitedAccount.objects.select_for_update().select_related("user")
                    .filter(invitation_id=invitation.id).first())
            others = users.objects.exclude(pk=mine.user_id) if mine else users.objects.all()
            errors = []
            if others.filter(username__iexact=registration.username).exists():
                errors.append(FieldError("username", "username_taken"))
            if others.filter(email__iexact=registration.email).exists():
                errors.append(FieldError("email", "email_has_account"))
            if errors:
                raise AccountRejected(errors)
            user = mine.user if mine else users()
            user.username = registration.username
            user.email = registration.email
            user.first_name = registration.first_name
            user.last_name = registration.last_name
            # A changed e-mail address waits for its confirmation: inactive until then.
            user.is_active = registration.email_confirmed
            user.set_password(registration.password)
            user.save()
            if mine is None:
                InvitedAccount.objects.create(invitation_id=invitation.id, user=user)
        return AccountRef(str(user.pk))

    def enable_account(self, invitation: Invitation, account: AccountRef) -> None:
        """Activate the user whose changed e-mail address was just confirmed."""
        close_old_connections()
        try:
            get_user_model().objects.filter(pk=int(account.id)).update(is_active=True)
        finally:
            connection.close()
