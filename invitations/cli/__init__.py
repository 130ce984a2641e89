"""The ``invitations`` command: one click group, subcommands in sibling modules."""

from __future__ import annotations

import click

from .. import __version__


@click.group()
@click.version_option(__version__, prog_name="invitations")
def main() -> None:
    """Send, verify and manage signed user invitations."""


def _load_commands() -> None:
    # Each sibling module adds its commands to ``main`` when imported, so that
    # independent features register themselves without editing this file.
    import importlib
    import pkgutil

    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


_load_commands()
