"""Per-message return paths (VERP): ``bounces+<tag>@example.org``.

The tag names one outbox row without revealing anything: an identifier derived
from the message's Message-ID, then a MAC of it under the service's secret key
(HMAC-SHA256, truncated). The full return path is stored as the row's envelope
sender, so a bounce finds its row by that column; a tag whose MAC does not
verify under any of the service's keys (forged, altered, from another
installation) matches nothing before the store is even asked.

Tags are lower-case base32 (``a-z2-7``): relays that fold the case of local
parts do not break them, and they need no quoting in an address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from invitations.errors import ConfigurationError
from invitations.tokens import check_secret_keys

__all__ = ["TAG_SEPARATOR", "ReturnPath"]

#: Between the bounce address's local part and the tag (Postfix's and Exim's default).
TAG_SEPARATOR = "+"
_ID_BYTES = 8  # 64 bits: unique among the rows of any outbox
_MAC_BYTES = 6  # 48 bits: a forged tag is accepted once in 2**48 tries
_ID_CHARS = 13  # base32 of 8 bytes, unpadded
_MAC_CHARS = 10  # base32 of 6 bytes, unpadded
_CONTEXT = b"invitations.bounces.verp\x00"


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


@dataclass(frozen=True)
class ReturnPath:
    """The configured bounce address and the keys that sign its tags."""

    address: str
    keys: tuple[bytes, ...]

    @classmethod
    def create(cls, address: str, secret_keys: str | bytes | Sequence[str | bytes]
               ) -> ReturnPath:
        """Check ``address`` (``local@domain``, no tag separator in it) and the keys."""
        text = (address or "").strip()
        local, at, domain = text.rpartition("@")
        if (not at or not local or not domain or TAG_SEPARATOR in local
                or any(c.isspace() or c in '<>()[],;:"\\' for c in text) or len(local) > 30):
            raise ConfigurationError(
                f"bounce address {address!r} must be a plain address like bounces@example.org "
                f"(local part up to 30 characters, without {TAG_SEPARATOR!r})")
        return cls(f"{local}@{domain.lower()}", tuple(check_secret_keys(secret_keys)))

    @property
    def local(self) -> str:
        return self.address.rpartition("@")[0]

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]

    def _mac(self, key: bytes, ident: str) -> str:
        digest = hmac.new(key, _CONTEXT + ident.encode("ascii"), hashlib.sha256).digest()
        return _b32(digest[:_MAC_BYTES])

    def tag_for(self, message_id: str) -> str:
        """The signed tag of the message with this Message-ID (signed with the newest key)."""
        ident = _b32(hashlib.blake2b(message_id.encode("utf-8"),
                                     digest_size=_ID_BYTES).digest())
        return ident + self._mac(self.keys[0], ident)

    def sender_for(self, message_id: str) -> str:
        """The envelope sender of that message: ``local+tag@domain``."""
        return f"{self.local}{TAG_SEPARATOR}{self.tag_for(message_id)}@{self.domain}"

    def accepts(self, recipient: str) -> bool:
        """Whether mail to ``recipient`` is for the bounce address (tagged or not)."""
        local, _, domain = recipient.strip().strip("<>").rpartition("@")
        base = local.partition(TAG_SEPARATOR)[0]
        return domain.lower() == self.domain and base.casefold() == self.local.casefold()

    def verified(self, recipient: str) -> str | None:
        """The canonical return path if ``recipient`` carries a tag that verifies under
        one of the keys (rotation), else ``None``."""
        address = recipient.strip().strip("<>")
        if not self.accepts(address):
            return None
        local = address.rpartition("@")[0]
        tag = local.partition(TAG_SEPARATOR)[2].lower()
        if len(tag) != _ID_CHARS + _MAC_CHARS:
            return None
        ident, mac = tag[:_ID_CHARS], tag[_ID_CHARS:]
        if not any(hmac.compare_digest(mac, self._mac(key, ident)) for key in self.keys):
            return None
        # The stored sender was signed with whichever key was newest then.
        return f"{self.local}{TAG_SEPARATOR}{tag}@{self.domain}"
