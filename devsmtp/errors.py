"""devsmtp's exceptions: one hierarchy, a stable ``code`` and fi/sv/en messages.

``str(error)`` is the English text; every error answer of the API (its own,
a wrong password, Starlette's 404/405) is ``to_dict()``, with the HTTP status
in ``status``, so scripts can branch on ``code`` and people can read
``message`` in their language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

LANGUAGES = ("fi", "sv", "en")


class DevSMTPError(Exception):
    """Base class of every error devsmtp raises on purpose."""

    code: ClassVar[str] = "devsmtp_error"
    status: ClassVar[int] = 500
    messages: ClassVar[Mapping[str, str]] = {
        "fi": "devsmtp epäonnistui: {detail}",
        "sv": "devsmtp misslyckades: {detail}",
        "en": "devsmtp failed: {detail}",
    }

    def __init__(self, detail: str = "", **params: object) -> None:
        self.detail = detail
        self.params: dict[str, object] = {"detail": detail, **params}
        #: The HTTP status of this error's answer (the class's ``status`` unless given).
        self.status_code: int = self.status
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        """The message for a person reading ``lang`` (``fi``, ``sv`` or ``en``)."""
        template = self.messages.get(lang) or self.messages["en"]
        return template.format(**self.params)

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
    messages = {
        "fi": "Virheellinen pyyntö: {detail}",
        "sv": "Felaktig begäran: {detail}",
        "en": "Bad request: {detail}",
    }


class MessageNotFound(DevSMTPError):
    """No stored message has this id (never stored, deleted or pruned)."""

    code = "message_not_found"
    status = 404
    messages = {
        "fi": "Viestiä {id} ei ole (poistettu tai ei koskaan vastaanotettu). "
        "Hae viestit uudelleen listasta.",
        "sv": "Meddelande {id} finns inte (raderat eller aldrig mottaget). "
        "Hämta listan på nytt.",
        "en": "Message {id} does not exist (deleted, pruned or never received). "
        "Fetch the list again.",
    }

    def __init__(self, id: object) -> None:
        super().__init__(str(id), id=id)


class PartNotFound(DevSMTPError):
    """The message has no part with this index (or no text/HTML body)."""

    code = "part_not_found"
    status = 404
    messages = {
        "fi": "Viestissä {id} ei ole osaa {part}. Katso osat: GET /api/messages/{id}.",
        "sv": "Meddelande {id} har ingen del {part}. Se delarna: GET /api/messages/{id}.",
        "en": "Message {id} has no part {part}. See its parts: GET /api/messages/{id}.",
    }

    def __init__(self, id: object, part: object) -> None:
        super().__init__(f"{id}/{part}", id=id, part=part)


class StoreError(DevSMTPError):
    """The data directory could not be written or read."""

    code = "store_error"
    status = 500
    messages = {
        "fi": "Viestivarasto ei toimi: {detail}. Tarkista datahakemiston levytila ja oikeudet.",
        "sv": "Meddelandelagret fungerar inte: {detail}. Kontrollera datakatalogens "
        "diskutrymme och rättigheter.",
        "en": "The message store failed: {detail}. Check the data directory's free space "
        "and permissions.",
    }


class StoreDamaged(StoreError):
    """The store file exists but is not a devsmtp (SQLite) database, or is damaged."""

    code = "store_damaged"
    messages = {
        "fi": "Tiedosto {path} ei ole devsmtp-tietokanta tai se on vioittunut ({detail}). "
        "devsmtp ei muuttanut sitä. Siirrä tiedosto sivuun (esim. mv {path} {path}.bad) "
        "tai käynnistä toisella --data-hakemistolla.",
        "sv": "Filen {path} är inte en devsmtp-databas eller är skadad ({detail}). "
        "devsmtp ändrade den inte. Flytta undan filen (t.ex. mv {path} {path}.bad) "
        "eller starta med en annan --data-katalog.",
        "en": "The file {path} is not a devsmtp database or is damaged ({detail}). "
        "devsmtp did not change it. Move the file aside (e.g. mv {path} {path}.bad) "
        "or start with another --data directory.",
    }

    def __init__(self, path: object, detail: str) -> None:
        super().__init__(detail, path=path)


class CatalogBroken(DevSMTPError):
    """A UI translation catalog (``devsmtp/locales/<lang>/...po``) is missing or broken."""

    code = "catalog_broken"
    messages = {
        "fi": "Käyttöliittymän käännöstiedosto {where} on virheellinen: {detail}. Korjaa "
        "kyseinen rivi (vertaa mallitiedostoon devsmtp.pot) tai asenna devsmtp uudelleen.",
        "sv": "Gränssnittets översättningsfil {where} är felaktig: {detail}. Rätta raden "
        "(jämför med mallen devsmtp.pot) eller installera devsmtp på nytt.",
        "en": "The UI translation catalog {where} is invalid: {detail}. Fix that line "
        "(compare with the template devsmtp.pot) or reinstall devsmtp.",
    }

    def __init__(self, where: object, detail: str) -> None:
        super().__init__(detail, where=where)


class NotFound(DevSMTPError):
    """No API endpoint has this path."""

    code = "not_found"
    status = 404
    messages = {
        "fi": "Rajapinnassa ei ole osoitetta {detail}. Katso osoitteet: GET /api/openapi.json.",
        "sv": "API:t har ingen adress {detail}. Se adresserna: GET /api/openapi.json.",
        "en": "The API has no endpoint {detail}. See the endpoints: GET /api/openapi.json.",
    }


class Unauthorized(DevSMTPError):
    """The server has a ``--ui-password`` and the request did not give it."""

    code = "unauthorized"
    status = 401
    messages = {
        "fi": "devsmtp vaatii salasanan (--ui-password)",
        "sv": "devsmtp kräver lösenordet (--ui-password)",
        "en": "devsmtp needs the --ui-password",
    }


class HTTPError(DevSMTPError):
    """Any other HTTP error under ``/api`` (the web framework's own), with its status."""

    code = "http_error"
    messages = {lang: "{detail}" for lang in LANGUAGES}

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status


class MethodNotAllowed(DevSMTPError):
    """The path exists but not with this HTTP method."""

    code = "method_not_allowed"
    status = 405
    messages = {
        "fi": "{method} ei käy osoitteelle {detail}. Käytä: {allowed}.",
        "sv": "{method} går inte för adressen {detail}. Använd: {allowed}.",
        "en": "{method} is not allowed on {detail}. Use: {allowed}.",
    }

    def __init__(self, path: str, method: str, allowed: str) -> None:
        super().__init__(path, method=method, allowed=allowed or "-")


class DataDirLocked(StoreError):
    """Another devsmtp already serves this data directory."""

    code = "data_dir_locked"
    messages = {
        "fi": "Toinen devsmtp käyttää jo hakemistoa {detail}. Pysäytä se tai valitse "
        "toinen --data-hakemisto.",
        "sv": "En annan devsmtp använder redan katalogen {detail}. Stoppa den eller välj "
        "en annan --data-katalog.",
        "en": "Another devsmtp already uses the data directory {detail}. Stop it or choose "
        "another --data directory.",
    }


class FaultRuleInvalid(BadRequest):
    """A fault rule names an unknown stage, code or scope."""

    code = "fault_rule_invalid"
    messages = {
        "fi": "Virheellinen vikasääntö: {detail}",
        "sv": "Ogiltig felregel: {detail}",
        "en": "Invalid fault rule: {detail}",
    }


class FaultNotFound(DevSMTPError):
    """No fault rule has this id."""

    code = "fault_not_found"
    status = 404
    messages = {
        "fi": "Vikasääntöä {detail} ei ole. Katso säännöt: devsmtp fault list.",
        "sv": "Felregeln {detail} finns inte. Se reglerna: devsmtp fault list.",
        "en": "Fault rule {detail} does not exist. See the rules: devsmtp fault list.",
    }


class RelayMissing(DevSMTPError):
    """``release`` was asked for with no relay in the request or the configuration."""

    code = "relay_missing"
    status = 400
    messages = {
        "fi": "Välityspalvelinta ei ole annettu: anna pyynnössä 'host' ja 'port' tai "
        "käynnistä devsmtp valitsimella --relay HOST:PORT.",
        "sv": "Ingen vidarebefordringsserver angiven: ge 'host' och 'port' i begäran eller "
        "starta devsmtp med --relay HOST:PORT.",
        "en": "No relay server given: put 'host' and 'port' in the request or start "
        "devsmtp with --relay HOST:PORT.",
    }


class ReleaseRefused(DevSMTPError):
    """Relaying was asked for an address the allow-list does not permit."""

    code = "release_refused"
    status = 403
    messages = {
        "fi": "Välitys estetty: {detail}. Lisää osoite sallittuihin (--relay-allow).",
        "sv": "Vidarebefordran nekad: {detail}. Lägg till adressen bland de tillåtna "
        "(--relay-allow).",
        "en": "Release refused: {detail}. Add the address to the allow-list (--relay-allow).",
    }


class ReleaseFailed(DevSMTPError):
    """The relay SMTP server could not be reached or refused the message."""

    code = "release_failed"
    status = 502
    messages = {
        "fi": "Välityspalvelin ei ottanut viestiä vastaan: {detail}",
        "sv": "Reläservern tog inte emot meddelandet: {detail}",
        "en": "The relay server did not accept the message: {detail}",
    }


class ServerUnreachable(DevSMTPError):
    """The CLI could not find or reach a running devsmtp."""

    code = "server_unreachable"
    status = 503
    messages = {
        "fi": "devsmtp-palvelinta ei tavoitettu ({detail}). Käynnistä `devsmtp serve` tai "
        "anna käynnissä olevan osoite (komennoille --api URL, pytestille --devsmtp-url URL).",
        "sv": "devsmtp-servern nåddes inte ({detail}). Starta `devsmtp serve` eller ange "
        "adressen till en som kör (--api URL för kommandona, --devsmtp-url URL för pytest).",
        "en": "Could not reach a devsmtp server ({detail}). Start `devsmtp serve` or give the "
        "address of a running one (--api URL for the commands, --devsmtp-url URL for pytest).",
    }


class UnsafeBind(DevSMTPError):
    """The HTTP port would listen beyond loopback without a password."""

    code = "unsafe_bind"
    status = 400
    messages = {
        "fi": "HTTP-osoite {detail} ei ole paikallinen: anna --ui-password, jotta "
        "postilaatikko ei näy kaikille.",
        "sv": "HTTP-adressen {detail} är inte lokal: ange --ui-password så att inkorgen "
        "inte syns för alla.",
        "en": "The HTTP address {detail} is not loopback: pass --ui-password so the inbox "
        "is not open to everyone.",
    }


class WaitTimeout(DevSMTPError):
    """No matching message arrived before the wait's timeout."""

    code = "wait_timeout"
    status = 408
    messages = {
        "fi": "Odotettua viestiä ei tullut ajassa ({detail}).",
        "sv": "Det väntade meddelandet kom inte i tid ({detail}).",
        "en": "No matching message arrived in time ({detail}).",
    }
