"""Parse a transport URL and its query options, refusing anything unknown.

A typo in an option (``starttsl=required``) must stop the program at start-up
rather than silently weaken TLS, so every option is consumed explicitly and
leftovers are an error.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from invitations.errors import ConfigurationError

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


@dataclass
class TransportURL:
    """The parts of a transport URL, with query options still to be consumed."""

    url: str
    scheme: str
    host: str
    port: int | None
    username: str | None
    password: str | None
    path: str
    options: dict[str, str] = field(default_factory=dict)

    def redacted(self) -> str:
        """The URL with its password replaced, safe for logs."""
        if self.password is None:
            return self.url
        return self.url.replace(f":{self._raw_password()}@", ":***@", 1)

    def _raw_password(self) -> str:
        netloc = urlsplit(self.url).netloc
        return netloc.rpartition("@")[0].partition(":")[2]

    def text(self, name: str, default: str | None = None) -> str | None:
        return self.options.pop(name, default)

    def choice(self, name: str, allowed: Collection[str], default: str) -> str:
        value = self.options.pop(name, default).lower()
        if value not in allowed:
            raise ConfigurationError(
                f"{self.redacted()}: {name}={value!r} is not one of {', '.join(sorted(allowed))}"
            )
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.options.pop(name, None)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise ConfigurationError(f"{self.redacted()}: {name}={value!r} must be true or false")

    def number(self, name: str, default: float) -> float:
        value = self.options.pop(name, None)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if not number > 0:
            raise ConfigurationError(
                f"{self.redacted()}: {name}={value!r} must be a positive number of seconds"
            )
        return number

    def finish(self) -> None:
        """Refuse options nobody consumed (most likely a typo)."""
        if self.options:
            unknown = ", ".join(sorted(self.options))
            raise ConfigurationError(f"{self.redacted()}: unknown option(s) {unknown}")


def parse_url(url: str) -> TransportURL:
    """Split ``url``; percent-escapes in user name and password are decoded."""
    try:
        parts = urlsplit(url)
    except ValueError as error:  # e.g. an unclosed "[" of an IPv6 address
        raise ConfigurationError(
            f"{url}: not a valid URL ({error}); write it like smtp://host:587"
        ) from None
    try:
        port = parts.port
    except ValueError:
        raise ConfigurationError(f"{url}: the port must be a number 1-65535") from None
    options: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False):
        if key in options:
            raise ConfigurationError(f"{url}: option {key} given twice")
        options[key] = value
    return TransportURL(
        url=url,
        scheme=parts.scheme.lower(),
        host=parts.hostname or "",
        port=port,
        username=unquote(parts.username) if parts.username is not None else None,
        password=unquote(parts.password) if parts.password is not None else None,
        path=unquote(parts.path),
        options=options,
    )
