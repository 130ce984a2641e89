"""One exception hierarchy for the whole toolkit.

Every error has a stable ``code`` (for APIs, logs and tests) and a message in
Finnish, Swedish and English (for people). ``str(error)`` is the English text
so that tracebacks stay readable for developers.

The classes live in private modules by subject: the root and message wording
(``_errors_base``), refused links and actions (``_errors_access``), bad input
and registration forms (``_errors_input``), configuration and delivery
(``_errors_operator``). Import them from here.
"""

from __future__ import annotations

from ._errors_access import (
    ConfirmationExpired,
    InvitationExpired,
    InvitationInvalid,
    InvitationNotFound,
    InvitationRevoked,
    InvitationSuperseded,
    InvitationUsed,
    NotAuthorized,
    TokenMalformed,
    TokenTampered,
)
from ._errors_base import InvitationError
from ._errors_input import (
    ContractNumberRequired,
    FieldCountMismatch,
    FieldError,
    FieldRequired,
    FieldTooLong,
    HeaderInjection,
    InvalidAddress,
    InvalidBusinessId,
    InvalidChoice,
    InvalidInput,
    RegistrationRejected,
)
from ._errors_operator import ConfigurationError, DeliveryFailed
from ._labels import FIELD_LABELS, LANGUAGES, field_label, format_time

__all__ = [
    "FIELD_LABELS",
    "LANGUAGES",
    "ConfigurationError",
    "ConfirmationExpired",
    "ContractNumberRequired",
    "DeliveryFailed",
    "FieldCountMismatch",
    "FieldError",
    "FieldRequired",
    "FieldTooLong",
    "HeaderInjection",
    "InvalidAddress",
    "InvalidBusinessId",
    "InvalidChoice",
    "InvalidInput",
    "InvitationError",
    "InvitationExpired",
    "InvitationInvalid",
    "InvitationNotFound",
    "InvitationRevoked",
    "InvitationSuperseded",
    "InvitationUsed",
    "NotAuthorized",
    "RegistrationRejected",
    "TokenMalformed",
    "TokenTampered",
    "field_label",
    "format_time",
]

# Tracebacks, reprs and pickles name the public module, as they did before the split.
for _name in __all__:
    _value = globals()[_name]
    if isinstance(_value, type):
        _value.__module__ = __name__
del _name, _value
