"""``file:///dir``: one ``.eml`` file per message, written atomically.

The file is named after the Message-ID, so a retry of the same message
replaces its file instead of adding a second one. Each file is written to a
temporary name, flushed to disk and renamed: a reader never sees half a mail.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from invitations.errors import ConfigurationError
from invitations.transports import wire
from invitations.transports.base import BaseTransport, OutgoingMessage, SendResult, SendStatus
from invitations.transports.url import TransportURL

_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]")


def file_name(message: OutgoingMessage) -> str:
    """``<id@host>`` becomes ``id@host.eml``; anything unsafe in a path becomes ``_``."""
    stem = _UNSAFE.sub("_", message.message_id.strip().strip("<>")) or "message"
    return f"{stem.lstrip('.')[:200]}.eml"


class FileTransport(BaseTransport):
    """Write each message to ``directory`` (created when missing)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        if self.directory.exists() and not self.directory.is_dir():
            raise ConfigurationError(
                f"{self.directory} is a file, not a directory; give file:// a directory for "
                "the .eml files"
            )

    @classmethod
    def from_url(cls, url: TransportURL) -> FileTransport:
        if url.host not in ("", "localhost") or not url.path:
            raise ConfigurationError(
                f"{url.redacted()}: write file:///absolute/dir or file:relative/dir"
            )
        url.finish()
        return cls(url.path)

    def __repr__(self) -> str:
        return f"<FileTransport {self.directory}>"

    def open(self) -> None:
        # Mail with live links: a directory the toolkit creates is private (0700);
        # an existing one keeps the mode its operator gave it.
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        return [self._write(message) for message in messages]

    def _write(self, message: OutgoingMessage) -> SendResult:
        target = self.directory / file_name(message)
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=".tmp-", suffix=".eml", dir=self.directory)
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(message.data)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temp, target)
            except BaseException:
                os.unlink(temp)
                raise
            _fsync_directory(self.directory)
        except OSError as error:
            # A full disk or a permission problem is fixed by the operator;
            # the message itself is fine, so it stays queued.
            return wire.temporary(None, f"cannot write {target}: {error.strerror or error}")
        return SendResult(SendStatus.ACCEPTED, None, f"written to {target}")


def _fsync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
