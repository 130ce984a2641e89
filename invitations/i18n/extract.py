"""``make messages``: extract every domain's ``.pot`` and update its ``.po`` files,
writing only the files whose messages really changed.

``pybabel extract`` stamps a new ``POT-Creation-Date`` into every template and
``pybabel update`` copies it into every catalog, so one edited Swedish string
used to rewrite all of them. Here each domain is extracted and updated in a
scratch directory; a file is written back only when it differs from the kept
one in more than its ``POT-Creation-Date``/``PO-Revision-Date`` header lines.

Run from the repository root::

    python -m invitations.i18n.extract            # every domain of DOMAINS
    python -m invitations.i18n.extract web errors # only these
    python -m invitations.i18n.extract --devsmtp-config other/babel.cfg

Every path is relative to ``--root`` (default: the current directory).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

from invitations.i18n.languages import LANGUAGES

__all__ = ["DOMAINS", "Domain", "main", "update_domain"]


@dataclass(frozen=True)
class Domain:
    """How one gettext domain is extracted and where its files live."""

    name: str
    config: str  # the Babel mapping file
    inputs: tuple[str, ...]  # directories given to ``pybabel extract``
    locales: str  # the directory holding ``<domain>.pot`` and ``<lang>/LC_MESSAGES/``
    keywords: tuple[str, ...] = ()  # extra extraction keywords (``-k``)
    default_keywords: bool = True  # Babel's ``_``, ``gettext``, ``N_``...
    project: str = "invitations"

    @property
    def template(self) -> str:
        return f"{self.locales}/{self.name}.pot"


#: Every domain ``make messages`` keeps up to date.
DOMAINS: tuple[Domain, ...] = (
    Domain("messages", "babel.cfg", ("invitations", "templates"), "locales"),
    Domain("web", "babel-web.cfg", (".",), "locales"),
    Domain("errors", "babel-errors.cfg", (".",), "locales", ("T_",), default_keywords=False),
    Domain("devsmtp", "devsmtp/web/babel.cfg", (".",), "devsmtp/locales", ("N_",),
           project="devsmtp"),
)

# Header lines that change on every run without any message changing.
_STAMPS = re.compile(rb'^"(?:POT-Creation-Date|PO-Revision-Date): [^"]*\\n"\n', re.MULTILINE)


def _same(new: Path, kept: Path) -> bool:
    """Whether ``new`` differs from ``kept`` in nothing but the date stamps."""
    if not kept.is_file():
        return False
    return _STAMPS.sub(b"", new.read_bytes()) == _STAMPS.sub(b"", kept.read_bytes())


def _babel(*args: str) -> None:
    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        status = CommandLineInterface().run(  # type: ignore[no-untyped-call]
            ["pybabel", "--quiet", *args])
    if status:
        raise SystemExit(f"pybabel {args[0]} failed:\n{quiet.getvalue()}")


def update_domain(domain: Domain, root: Path, languages: Iterable[str] = LANGUAGES
                  ) -> list[Path]:
    """Extract and update ``domain`` under ``root``; return the files written."""
    written: list[Path] = []
    template = root / domain.template
    with tempfile.TemporaryDirectory(prefix=f"messages-{domain.name}-") as scratch:
        fresh = Path(scratch) / f"{domain.name}.pot"
        keywords = [arg for keyword in domain.keywords for arg in ("-k", keyword)]
        _babel("extract", "--no-location", "--sort-output", "-F", str(root / domain.config),
               *keywords, *([] if domain.default_keywords else ["--no-default-keywords"]),
               "-o", str(fresh), "--project", domain.project, "--version", "0.1.0",
               *(str(root / path) for path in domain.inputs))
        if not _same(fresh, template):
            template.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(fresh, template)
            written.append(template)
        for lang in languages:
            kept = root / domain.locales / lang / "LC_MESSAGES" / f"{domain.name}.po"
            work = Path(scratch) / lang / "LC_MESSAGES" / f"{domain.name}.po"
            work.parent.mkdir(parents=True)
            if kept.is_file():
                shutil.copyfile(kept, work)
                _babel("update", "--no-fuzzy-matching", "-D", domain.name, "-i", str(template),
                       "-d", scratch, "-l", lang)
            else:
                _babel("init", "-D", domain.name, "-i", str(template), "-d", scratch, "-l", lang)
            if not _same(work, kept):
                kept.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(work, kept)
                written.append(kept)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m invitations.i18n.extract",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("domains", nargs="*", help="domains to update (default: all)")
    parser.add_argument("--root", type=Path, default=Path(), help="the repository root")
    parser.add_argument("--devsmtp-config", default=None,
                        help="devsmtp's Babel mapping file, relative to --root")
    options = parser.parse_args(argv)
    domains = {d.name: d for d in DOMAINS}
    if options.devsmtp_config:
        domains["devsmtp"] = replace(domains["devsmtp"], config=options.devsmtp_config)
    unknown = sorted(set(options.domains) - set(domains))
    if unknown:
        parser.error(f"unknown domain(s) {', '.join(unknown)}; known: {', '.join(domains)}")
    for name in options.domains or domains:
        for path in update_domain(domains[name], options.root):
            print(f"updated {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
