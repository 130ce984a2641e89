"""invitations: signed, expiring, trilingual user invitations by e-mail."""

from .errors import ConfigurationError, InvitationError

__version__ = "0.1.0"

__all__ = ["ConfigurationError", "InvitationError", "__version__"]
