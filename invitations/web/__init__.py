"""The reference registration pages: the document's "Käyttäjärekisteröinti" window.

A small Starlette app built on the library; mount it where the service's
``base_url`` points::

    from invitations.web import create_app
    app = create_app(service)
"""

from invitations.web.app import create_app
from invitations.web.views import RegistrationService

__all__ = ["RegistrationService", "create_app"]
