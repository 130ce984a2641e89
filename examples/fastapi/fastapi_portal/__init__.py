"""The FastAPI recipe: a portal that invites (async) and creates its own users."""

from .accounts import PortalAccounts, User, hash_password, password_matches
from .app import Caller, InviteRequest, create_portal, from_env

__all__ = ["Caller", "InviteRequest", "PortalAccounts", "User", "create_portal", "from_env",
           "hash_password", "password_matches"]
