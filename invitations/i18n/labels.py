"""How fields are named for people in messages, per language.

The names are msgids of the ``errors`` catalog (see :mod:`invitations.i18n.texts`).
"""

from __future__ import annotations

from collections.abc import Mapping

from invitations.i18n.texts import T_, translate

__all__ = ["FIELD_LABELS", "field_label"]

#: How fields are named to people (English msgids); unknown fields fall back to their key.
FIELD_LABELS: Mapping[str, str] = {
    "email": T_("e-mail address"),
    "first_name": T_("first name"),
    "last_name": T_("last name"),
    "username": T_("username"),
    "password": T_("password"),
    "company_id": T_("business ID"),
    "company_name": T_("company name"),
    "contract_number": T_("logistics contract number"),
    "invited_by": T_("inviter"),
    "inviter_name": T_("inviter's name"),
    "role": T_("role"),
    "services": T_("services"),
    "languages": T_("languages"),
    "sender": T_("sender"),
    "to_name": T_("recipient's name"),
    "message_id": T_("Message-ID"),
    # The credential order form.
    "orderer_name": T_("your name"),
    "orderer_email": T_("your e-mail address"),
    "orderer_phone": T_("your phone number"),
    "main_user_first_name": T_("main user's first name"),
    "main_user_last_name": T_("main user's last name"),
    "main_user_email": T_("main user's e-mail address"),
    "reason": T_("reason for the order"),
    "previous_main_user_name": T_("previous main user's name"),
    "previous_main_user_email": T_("previous main user's e-mail address"),
    "terms": T_("terms of use"),
    "rejection": T_("reason for the rejection"),
}


def field_label(field: str, lang: str) -> str:
    """The name of ``field`` in ``lang`` as a person would read it."""
    label = FIELD_LABELS.get(field)
    return field if label is None else translate(label, lang)
