"""One web host of the many-hosts scenario, run as its own process:
``python tests/hosts/webhost.py`` with the ``INVITATIONS_*`` environment.

The registration pages (:func:`invitations.web.app.create_app`) plus a test-only
``POST /issue`` (JSON ``{"email": ...}``) that issues an invitation through this
host's service, queued for the delivery workers, as an admin UI would. Its own
service and connection pool; uvicorn on 127.0.0.1, port chosen by the kernel and
printed as the first line of stdout. Serves until SIGTERM.

A toolkit error (the database restarting, say) is a JSON answer with its code
and a 503 for the retryable ones: logged here, never a traceback to the caller.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from invitations.config import parse_secret_keys, service_from_env
from invitations.errors import InvitationError
from invitations.models import Company, Inviter, Role
from invitations.web.app import create_app
from invitations.web.server import BackgroundServer

COMPANY = Company("0112038-9", "Testi Oy", "LOG-1234")
INVITER = Inviter("paula@testi.fi", "Paula Pääkäyttäjä", Role.MAIN_USER, "0112038-9")
log = logging.getLogger("webhost")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    service = service_from_env()
    app = create_app(service, session_keys=parse_secret_keys(os.environ[
        "INVITATIONS_SECRET_KEYS"]))

    async def issue(request: Request) -> JSONResponse:
        body = await request.json()
        try:
            invitation = await run_in_threadpool(
                service.send_invite, body["email"], company=COMPANY, invited_by=INVITER,
                first_name="Anna", last_name="Virtanen", deliver=False)
        except InvitationError as error:
            retryable = bool(getattr(error, "retryable", False))
            log.warning("issue %s: %s", body["email"], error)
            return JSONResponse({"ok": False, "code": error.code, "retryable": retryable},
                                status_code=503 if retryable else 400)
        return JSONResponse({"ok": True, "id": invitation.id, "link": invitation.link,
                             "message_id": invitation.message_id})

    app.add_route("/issue", issue, methods=["POST"])
    server = BackgroundServer(host="127.0.0.1", port=0)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start(app)
    print(server.port, flush=True)
    stop.wait()
    server.stop()
    service.close()


if __name__ == "__main__":
    main()
