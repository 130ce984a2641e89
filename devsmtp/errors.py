"""devsmtp's exceptions: one hierarchy, a stable ``code`` and fi/sv/en messages
(texts from :mod:`devsmtp.catalog`; English is the msgid).

``str(error)`` is the English text; every error answer of the API (its own,
a wrong password, Starlette's 404/405) is ``to_dict()``, with the HTTP status
in ``status``, so scripts can branch on ``code`` and people can read
``message`` in their language.
"""

from __future__ import annotations

from typing import ClassVar

LANGUAGES = ("fi", "sv", "en")


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction into ``devsmtp.pot`` (see :mod:`devsmtp.catalog`)."""
    return msgid


class _Values(dict[str, object]):
    """Parameters for ``%``; a field nobody gave shows as itself, not a crash."""

    def __missing__(self, key: str) -> str:
        return f"%({key})s"


class DevSMTPError(Exception):
    """Base class of every error devsmtp raises on purpose."""

    code: ClassVar[str] = "devsmtp_error"
    status: ClassVar[int] = 500
    text: ClassVar[str] = N_("devsmtp failed: %(detail)s")

    def __init__(self, detail: str = "", **params: object) -> None:
        self.detail = detail
        self.params: dict[str, object] = {"detail": detail, **params}
        #: The HTTP status of this error's answer (the class's ``status`` unless given).
        self.status_code: int = self.status
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        """The message for a person reading ``lang`` (``fi``, ``sv`` or ``en``)."""
        from .catalog import translate  # at call time: the catalog's loader raises errors

        values = _Values({key: str(value) for key, value in self.params.items()})
        try:
            return translate(self.text, lang) % values
        except (KeyError, ValueError, TypeError):  # a slip the gate did not see: English
            return self.text % values

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: code, English message, every language, parameters."""
        return {
            "error": self.code,
            "status": self.status_code,
            "message": self.message("en"),
            "messages": {lang: self.message(lang) for lang in LANGUAGES},
            "params": {k: str(v) for k, v in self.params.items()},
        }


class BadRequest(DevSMTPError):
    """A request parameter or body is wrong; ``detail`` says which and how."""

    code = "bad_request"
    status = 400
    text = N_("Bad request: %(detail)s")


class MessageNotFound(DevSMTPError):
    """No stored message has this id (never stored, deleted or pruned)."""

    code = "message_not_found"
    status = 404
    text = N_(
        "Message %(id)s does not exist (deleted, pruned or never received). Fetch the list "
        "again."
    )

    def __init__(self, id: object) -> None:
        super().__init__(str(id), id=id)


class PartNotFound(DevSMTPError):
    """The message has no part with this index (or no text/HTML body)."""

    code = "part_not_found"
    status = 404
    text = N_("Message %(id)s has no part %(part)s. See its parts: GET /api/messages/%(id)s.")

    def __init__(self, id: object, part: object) -> None:
        super().__init__(f"{id}/{part}", id=id, part=part)


class StoreError(DevSMTPError):
    """The data directory could not be written or read."""

    code = "store_error"
    status = 500
    text = N_(
        "The message store failed: %(detail)s. Check the data directory's free space and "
        "permissions."
    )


class StoreDamaged(StoreError):
    """The store file exists but is not a devsmtp (SQLite) database, or is damaged."""

    code = "store_damaged"
    text = N_(
        "The file %(path)s is not a devsmtp database or is damaged (%(detail)s). devsmtp did "
        "not change it. Move the file aside (e.g. mv %(path)s %(path)s.bad) or start with "
        "another --data directory."
    )

    def __init__(self, path: object, detail: str) -> None:
        super().__init__(detail, path=path)


class CatalogBroken(DevSMTPError):
    """A UI translation catalog (``devsmtp/locales/<lang>/...po``) is missing or broken."""

    code = "catalog_broken"
    text = N_(
        "The UI translation catalog %(where)s is invalid: %(detail)s. Fix that line (compare "
        "with the template devsmtp.pot) or reinstall devsmtp."
    )

    def __init__(self, where: object, detail: str) -> None:
        super().__init__(detail, where=where)


class NotFound(DevSMTPError):
    """No API endpoint has this path."""

    code = "not_found"
    status = 404
    text = N_("The API has no endpoint %(detail)s. See the endpoints: GET /api/openapi.json.")


class Unauthorized(DevSMTPError):
    """The server has a ``--ui-password`` and the request did not give it."""

    code = "unauthorized"
    status = 401
    text = N_("devsmtp needs the --ui-password")


class HTTPError(DevSMTPError):
    """Any other HTTP error under ``/api`` (the web framework's own), with its status."""

    code = "http_error"

    def message(self, lang: str = "en") -> str:
        return self.detail  # the framework's own words (e.g. "Not Found")

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status


class MethodNotAllowed(DevSMTPError):
    """The path exists but not with this HTTP method."""

    code = "method_not_allowed"
    status = 405
    text = N_("%(method)s is not allowed on %(detail)s. Use: %(allowed)s.")

    def __init__(self, path: str, method: str, allowed: str) -> None:
        super().__init__(path, method=method, allowed=allowed or "-")


class DataDirLocked(StoreError):
    """Another devsmtp already serves this data directory."""

    code = "data_dir_locked"
    text = N_(
        "Another devsmtp already uses the data directory %(detail)s. Stop it or choose "
        "another --data directory."
    )


class FaultRuleInvalid(BadRequest):
    """A fault rule names an unknown stage, code or scope."""

    code = "fault_rule_invalid"
    text = N_("Invalid fault rule: %(detail)s")


class FaultNotFound(DevSMTPError):
    """No fault rule has this id."""

    code = "fault_not_found"
    status = 404
    text = N_("Fault rule %(detail)s does not exist. See the rules: devsmtp fault list.")


class RelayMissing(DevSMTPError):
    """``release`` was asked for with no relay in the request or the configuration."""

    code = "relay_missing"
    status = 400
    text = N_(
        "No relay server configured: start devsmtp with --relay HOST:PORT (release only "
        "uses relays given at start)."
    )


class ReleaseRefused(DevSMTPError):
    """Relaying was asked for an address the allow-list does not permit."""

    code = "release_refused"
    status = 403
    text = N_("Release refused: %(detail)s. Add the address to the allow-list (--relay-allow).")


class ReleaseFailed(DevSMTPError):
    """The relay SMTP server could not be reached or refused the message."""

    code = "release_failed"
    status = 502
    text = N_("The relay server did not accept the message: %(detail)s")


class ServerUnreachable(DevSMTPError):
    """The CLI could not find or reach a running devsmtp."""

    code = "server_unreachable"
    status = 503
    text = N_(
        "Could not reach a devsmtp server (%(detail)s). Start `devsmtp serve` or give the "
        "address of a running one (--api URL for the commands, --devsmtp-url URL for pytest)."
    )


class UnsafeBind(DevSMTPError):
    """The HTTP port would listen beyond loopback without a password."""

    code = "unsafe_bind"
    status = 400
    text = N_(
        "The HTTP address %(detail)s is not loopback: pass --ui-password so the inbox is not "
        "open to everyone."
    )


class UnsafeSMTPBind(UnsafeBind):
    """The SMTP port would listen beyond loopback without a required login."""

    code = "unsafe_smtp_bind"
    text = N_(
        "The SMTP address %(detail)s is not loopback: pass --auth USER:PASSWORD (or "
        "--auth-file) so not everyone can send to it."
    )


class UnsupportedMediaType(DevSMTPError):
    """A JSON endpoint got a body that is not ``application/json``."""

    code = "unsupported_media_type"
    status = 415
    text = N_("The body must be JSON: send it with Content-Type: application/json.")


class CrossSiteRefused(DevSMTPError):
    """A state-changing request came from another origin (a page the browser showed)."""

    code = "cross_site_refused"
    status = 403
    text = N_(
        "Refused: this request came from another web site or port. Change devsmtp from its "
        "own inbox, the devsmtp command or a script."
    )


class HostNotAllowed(DevSMTPError):
    """The request's ``Host`` is not a name this devsmtp serves (DNS rebinding)."""

    code = "host_not_allowed"
    status = 421
    text = N_(
        "This devsmtp does not serve that host name. Use localhost or 127.0.0.1, or start "
        "devsmtp with --allowed-host NAME."
    )


class RelayNotAllowed(DevSMTPError):
    """A release request named a relay that was not configured at start."""

    code = "relay_not_allowed"
    status = 403
    text = N_(
        "Release may only use the relays devsmtp was started with (--relay HOST:PORT); "
        "leave out 'host' and 'port' or name one of them."
    )


class WaitTimeout(DevSMTPError):
    """No matching message arrived before the wait's timeout."""

    code = "wait_timeout"
    status = 408
    text = N_("No matching message arrived in time (%(detail)s).")
