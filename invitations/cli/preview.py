"""``invitations preview``: render a sample mail without sending anything."""

from __future__ import annotations

from datetime import UTC, datetime
from email.headerregistry import Address
from pathlib import Path

import click

from invitations.cli.output import lang_option, language
from invitations.errors import InvitationError
from invitations.i18n.formatting import Text
from invitations.i18n.languages import LOCALES
from invitations.i18n.runtime import catalog_path
from invitations.i18n.texts import T_
from invitations.rendering import Renderer
from invitations.rendering.samples import SAMPLE_VALIDITY, sample_confirmation, sample_invitation
from invitations.theme import load_theme


def _languages(value: str, lang: str) -> tuple[str, ...]:
    languages = tuple(part.strip() for part in value.split(",") if part.strip())
    if not languages:
        raise click.BadParameter(Text(T_("give at least one language, e.g. fi,sv,en"))
                                 .message(lang))
    for code in languages:
        if code not in LOCALES:
            # Exit status 1 like every other refused preview; name the catalog it lacks.
            raise click.ClickException(Text(T_(
                "language %(code)s is not supported; the supported languages are "
                "%(languages)s (there is no catalog %(path)s)"),
                code=repr(code), languages=", ".join(LOCALES), path=catalog_path(code),
            ).message(lang))
    return languages


@click.command()
@click.option("--languages", default="fi,sv,en", show_default=True,
              help="Comma-separated languages, in the order the mail shows them.")
@click.option("--format", "fmt", type=click.Choice(["html", "text", "eml"]), default="html",
              show_default=True, help="HTML part, text part, or the whole message (.eml).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE instead of standard output.")
@click.option("--company", default="Esimerkki Oy", show_default=True, help="Company name.")
@click.option("--inviter", default="Maija Meikäläinen", show_default=True,
              help="Name of the person who invites.")
@click.option("--role", type=click.Choice(["user", "main_user"]), default="user",
              show_default=True, help="Role of the invitee (changes the expiry advice).")
@click.option("--kind", type=click.Choice(["invitation", "confirmation"]),
              default="invitation", show_default=True,
              help="The invitation, or the mail confirming a changed address.")
@click.option("--theme", default="posti", show_default=True,
              help="Theme name or a TOML file with a [theme] table.")
@lang_option
def preview(
    languages: str, fmt: str, out: Path | None, company: str, inviter: str, role: str,
    kind: str, theme: str, lang: str | None,
) -> None:
    """Render a sample invitation (sample data, sample link) without sending it."""
    lang = language(lang)
    try:
        langs = _languages(languages, lang)
        renderer = Renderer(load_theme(theme), langs)
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        common = {
            "languages": langs, "sent_at": now, "expires_at": now + SAMPLE_VALIDITY,
            # Address quotes the display name when it needs it: "Posti (Asiakaspalvelu)".
            "sender": str(Address(renderer.theme.sender_name, addr_spec="noreply@posti.fi")),
        }
        if kind == "invitation":
            email = sample_invitation(
                company_name=company, inviter_name=inviter, invited_role=role, **common
            )
            rendered = renderer.render_invitation(email)
            message = renderer.compose_invitation(email)
        else:
            confirm = sample_confirmation(**common)
            rendered = renderer.render_confirmation(confirm)
            message = renderer.compose_confirmation(confirm)
    except InvitationError as exc:
        raise click.ClickException(exc.message(lang)) from None
    formats: dict[str, bytes] = {
        "html": rendered.html.encode("utf-8"),
        "text": rendered.text.encode("utf-8"),
        "eml": message.data,
    }
    data = formats[fmt]
    if out is None:
        click.echo(data, nl=False)
    else:
        out.write_bytes(data)
        click.echo(Text(T_("wrote %(path)s (%(size)s bytes, subject: %(subject)s)"), path=out,
                        size=len(data), subject=rendered.subject).message(lang), err=True)
