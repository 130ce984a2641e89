"""Which ``auth.User`` was made for which invitation: what keeps ``create_account``
idempotent on the invitation id."""

from django.conf import settings
from django.db import models


class InvitedAccount(models.Model):
    """One user per invitation (a retry for the same invitation finds this row)."""

    invitation_id = models.CharField(max_length=64, unique=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="invitation")

    def __str__(self) -> str:
        return f"{self.user_id} <- {self.invitation_id}"
