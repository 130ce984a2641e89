"""``invitations db``: the schema of the store ``INVITATIONS_DB`` names.

- ``invitations db upgrade``: migrate forward to this release's schema (every
  release's migrations run in order, in one transaction; on PostgreSQL under an
  advisory lock, so hosts starting together migrate once). Services also migrate
  at start unless ``INVITATIONS_DB_MIGRATE=0``.
- ``invitations db status``: the schema version, without changing anything.

A database written by a newer release is refused with a message, never altered.
"""

from __future__ import annotations

import click

from invitations.cli.output import emit, fail, json_option, lang_option, language
from invitations.config import store_from_env
from invitations.errors import InvitationError
from invitations.i18n.formatting import Text
from invitations.i18n.texts import T_
from invitations.store import SCHEMA_VERSION
from invitations.store.base import SQLStore

__all__ = ["db"]

_UP_TO_DATE = T_("%(backend)s %(where)s: schema version %(version)s, up to date")
_MIGRATED = T_("%(backend)s %(where)s: schema version %(found)s -> %(version)s")
_STATUS = T_("%(backend)s %(where)s: schema version %(version)s (this release: %(release)s)")


@click.group("db")
def db() -> None:
    """The invitations database: schema version and migrations."""


def _open(migrate: bool, as_json: bool, lang: str) -> SQLStore:
    try:
        return store_from_env(migrate=migrate)
    except InvitationError as error:
        fail(error, as_json, lang)


@db.command("upgrade")
@lang_option
@json_option
def upgrade(lang: str | None, as_json: bool) -> None:
    """Migrate the schema of INVITATIONS_DB forward to this release's version."""
    lang = language(lang)
    with _open(True, as_json, lang) as store:
        found, backend, where = store.schema_found, store.dialect.name, store.where
    if as_json:
        emit({"ok": True, "backend": backend, "database": where, "from": found,
              "to": SCHEMA_VERSION})
    elif found == SCHEMA_VERSION:
        click.echo(Text(_UP_TO_DATE, backend=backend, where=where,
                        version=SCHEMA_VERSION).message(lang))
    else:
        click.echo(Text(_MIGRATED, backend=backend, where=where, found=found,
                        version=SCHEMA_VERSION).message(lang))


@db.command("status")
@lang_option
@json_option
def status(lang: str | None, as_json: bool) -> None:
    """Show the schema version of INVITATIONS_DB (exit 1 if it needs `db upgrade`)."""
    lang = language(lang)
    with _open(False, as_json, lang) as store:
        version, backend, where = store.schema_version(), store.dialect.name, store.where
    if as_json:
        emit({"ok": True, "backend": backend, "database": where, "version": version,
              "release": SCHEMA_VERSION})
    else:
        click.echo(Text(_STATUS, backend=backend, where=where, version=version,
                        release=SCHEMA_VERSION).message(lang))
