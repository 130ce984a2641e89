"""The reference registration pages: the document's "Käyttäjärekisteröinti" window.

A small Starlette app built on the library; mount it where the service's
``base_url`` points::

    from invitations.web import create_app
    app = create_app(service)

With ``orders=OrderService(service)`` it also serves the credential order form
(``/order``) and, with ``operators=...``, customer service's pages
(``/operator/orders``). Keep the tokens in its links out of the server's access log with
:class:`RedactTokens` (see :mod:`invitations.web.access_log`).
"""

from invitations.web.access_log import RedactTokens
from invitations.web.app import create_app
from invitations.web.limits import OrderLimits
from invitations.web.operators import BasicOperators, OperatorAuth
from invitations.web.views import RegistrationService

__all__ = ["BasicOperators", "OperatorAuth", "OrderLimits", "RedactTokens",
           "RegistrationService", "create_app"]
