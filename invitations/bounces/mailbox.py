"""Bounces from a mailbox: Maildir directories, mbox files and single ``.eml`` files.

For operators whose bounce address is an ordinary mailbox: each mail is read
(up to ``max_size`` bytes; larger ones are skipped and reported) and handed to
:meth:`~invitations.service.InvitationService.record_bounce`. Importing the same
mailbox twice changes nothing the second time (each bounce is logged once).
Nothing is deleted or moved.
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from invitations.bounces.dsn import MAX_MAIL_BYTES

if TYPE_CHECKING:
    from invitations.bounces.record import BounceOutcome
    from invitations.service import InvitationService

__all__ = ["Imported", "import_paths", "read_paths"]


@dataclass(frozen=True)
class Imported:
    """One mail of a mailbox: where it was, and what recording it did (``None``: skipped
    as too large)."""

    source: str
    outcome: BounceOutcome | None


def _is_mbox(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(5) == b"From "


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def _bounded(handle: _Readable, max_size: int) -> bytes | None:
    """At most ``max_size`` bytes, or ``None`` if there were more."""
    raw = handle.read(max_size + 1)
    return None if len(raw) > max_size else raw


def read_paths(paths: list[str], *, max_size: int = MAX_MAIL_BYTES
               ) -> Iterator[tuple[str, bytes | None]]:
    """``(source, raw)`` for every mail in ``paths``; ``raw`` is ``None`` for a mail
    larger than ``max_size`` (never read whole)."""
    for name in paths:
        path = Path(name)
        if path.is_dir():  # Maildir: delivered mail is in new/ and cur/
            for sub in ("new", "cur"):
                folder = path / sub
                if not folder.is_dir():
                    continue
                for file in sorted(folder.iterdir()):
                    if file.is_file() and not file.name.startswith("."):
                        with file.open("rb") as handle:
                            yield str(file), _bounded(handle, max_size)
        elif _is_mbox(path):
            box = mailbox.mbox(path, create=False)
            try:
                for index, key in enumerate(box.iterkeys()):
                    with box.get_file(key) as handle:
                        yield f"{path}#{index + 1}", _bounded(handle, max_size)
            finally:
                box.close()
        else:
            with path.open("rb") as handle:
                yield str(path), _bounded(handle, max_size)


def import_paths(service: InvitationService, paths: list[str], *,
                 max_size: int = MAX_MAIL_BYTES) -> list[Imported]:
    """Record every mail found in ``paths``; see the module text."""
    done = []
    for source, raw in read_paths(paths, max_size=max_size):
        outcome = None if raw is None else service.record_bounce(raw)
        done.append(Imported(source, outcome))
    return done
