"""The ``devsmtp`` command."""

from __future__ import annotations

import click

from . import __version__


@click.group()
@click.version_option(__version__, prog_name="devsmtp")
def main() -> None:
    """devsmtp: capture every mail sent to it, for QA and tests."""
