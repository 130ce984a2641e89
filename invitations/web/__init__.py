"""The reference registration pages: the document's "Käyttäjärekisteröinti" window.

A small Starlette app built on the library; mount it where the service's
``base_url`` points::

    from invitations.web import create_app
    app = create_app(service)

and keep the tokens in its links out of the server's access log with
:class:`RedactTokens` (see :mod:`invitations.web.access_log`).
"""

from invitations.web.access_log import RedactTokens
from invitations.web.app import create_app
from invitations.web.views import RegistrationService

__all__ = ["RedactTokens", "RegistrationService", "create_app"]
