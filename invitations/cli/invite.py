"""Commands on single invitations: send, verify, redeem, confirm-email, resend,
revoke, list, and check-password.

Configuration comes from the same ``INVITATIONS_*`` environment variables as
the module-level API (:func:`invitations.config.service_from_env`).
"""

from __future__ import annotations

import os
import sys

import click

from invitations.cli.output import (
    actor_options,
    bulk_options,
    emit,
    json_option,
    lang_option,
    language,
    read_token,
    service_from_environment,
    show_invitation,
    token_options,
)
from invitations.i18n.formatting import Text
from invitations.i18n.texts import T_
from invitations.models import (
    Company,
    DeliveryState,
    InvitationStatus,
    Inviter,
    Registration,
    Role,
)
from invitations.password import PasswordPolicy, check_password

#: What a person should do after ``send`` when the mail did not go at once.
DELIVERY_NOTES: dict[str, str] = {
    "queued": T_(
        "The invitation is saved, but the mail server did not take the message now; it is "
        "queued. `invitations deliver` sends it when the next attempt is due (see `invitations "
        "list --json`)."
    ),
    "failed": T_(
        "The mail server refused the message for good. Check the address; send a new "
        "invitation to a corrected address, or try again: `invitations resend %(id)s` or "
        "`invitations deliver --retry-failed`."
    ),
}


@click.command()
@click.argument("email", required=False)
@click.option("--company-id", help="Business id (Y-tunnus), e.g. 0112038-9.  [required]")
@click.option("--company-name", help="[required]")
@click.option("--contract-number", default=None, help="Logistics contract number.")
@click.option("--invited-by", help="Inviter's id or e-mail.  [required]")
@click.option("--inviter-name", default=None)
@click.option("--inviter-email", default=None,
              help="Told if the invitation cannot be delivered (else the operator mailbox).")
@click.option("--inviter-role", type=click.Choice(["main_user", "operator"]),
              default="main_user", show_default=True)
@click.option("--role", type=click.Choice(["user", "main_user"]), default="user",
              show_default=True, help="Role the invitation grants.")
@click.option("--service", "services", multiple=True, default=("smartship",),
              show_default=True, help="Granted service (repeatable).")
@click.option("--first-name", default=None)
@click.option("--last-name", default=None)
@click.option("--languages", default=None, help="Language order, e.g. fi,sv,en.")
@click.option("--csv", "csv_path", default=None,
              type=click.Path(exists=True, dir_okay=False, readable=True),
              help="Invite every row of this CSV file instead of EMAIL (see send-bulk).")
@bulk_options
@lang_option
@json_option
def send(email: str | None, company_id: str | None, company_name: str | None,
         contract_number: str | None, invited_by: str | None, inviter_name: str | None,
         inviter_email: str | None, inviter_role: str, role: str,
         services: tuple[str, ...], first_name: str | None, last_name: str | None,
         languages: str | None, csv_path: str | None,
         skip_invalid: bool, workers: int, rate: float | None, lang: str | None,
         as_json: bool) -> None:
    """Invite EMAIL (or every row of --csv FILE). A main user invites users of their own
    company; an operator (customer service) invites main users."""
    if csv_path is not None:
        if email is not None:
            raise click.UsageError(Text(T_("give either EMAIL or --csv FILE, not both"))
                                   .message(language(lang)))
        from invitations.cli.bulk import run_bulk

        run_bulk(csv_path, skip_invalid=skip_invalid, workers=workers, rate=rate, lang=lang,
                 as_json=as_json)
        return
    missing = [flag for flag, value in (("EMAIL", email), ("--company-id", company_id),
                                        ("--company-name", company_name),
                                        ("--invited-by", invited_by)) if not value]
    if missing:
        raise click.UsageError(Text(T_("missing %(missing)s (or use --csv FILE)"),
                                    missing=", ".join(missing)).message(language(lang)))
    assert email and company_id and company_name and invited_by
    lang = language(lang)
    inviter_company = company_id if inviter_role == "main_user" else None
    with service_from_environment(as_json, lang) as service:
        invitation = service.send_invite(
            email, company=Company(company_id, company_name, contract_number),
            invited_by=Inviter(invited_by, inviter_name, Role(inviter_role), inviter_company,
                               inviter_email),
            role=role, services=services, languages=languages,
            first_name=first_name, last_name=last_name,
        )
        show_invitation(invitation, as_json, lang)
    note = DELIVERY_NOTES.get(str(invitation.delivery_state))
    if note is not None and not as_json:
        click.echo(Text(note, id=invitation.id).message(lang), err=True)
    if invitation.delivery_state is DeliveryState.FAILED:
        sys.exit(1)  # the invitation exists, but its mail was refused for good


@click.command()
@token_options
@lang_option
@json_option
def verify(token: str | None, token_file: str | None, lang: str | None, as_json: bool) -> None:
    """Check TOKEN without changing anything; exit 0 only for a valid, pending invitation.

    TOKEN - reads the token from standard input; without TOKEN it comes from
    INVITATIONS_TOKEN or --token-file (a command line is visible to every local user)."""
    lang = language(lang)
    token = read_token(token, token_file, lang)
    with service_from_environment(as_json, lang) as service:
        invitation = service.verify(token)
        if as_json:
            emit({"ok": True, "valid": True, "invitation": invitation.to_dict()})
        else:
            click.echo(Text(T_("valid: invitation %(id)s for %(email)s, expires %(when)s"),
                            id=invitation.id, email=invitation.email,
                            when=invitation.expires_at.isoformat()).message(lang))


@click.command()
@token_options
@click.option("--first-name", required=True)
@click.option("--last-name", required=True)
@click.option("--email", default=None, help="Defaults to the invited address.")
@click.option("--username", default="", help="Defaults to the e-mail address.")
@lang_option
@json_option
def redeem(token: str | None, token_file: str | None, first_name: str, last_name: str,
           email: str | None, username: str, lang: str | None, as_json: bool) -> None:
    """Register with the token; the password is read from standard input.

    TOKEN - reads the token from the first line of standard input and the password from
    the next; without TOKEN the token comes from INVITATIONS_TOKEN or --token-file. Both
    keep it out of the process list, where a TOKEN argument is visible to every local user."""
    lang = language(lang)
    token = read_token(token, token_file, lang)
    password = sys.stdin.readline().rstrip("\r\n")
    with service_from_environment(as_json, lang) as service:
        address = email or service.verify(token).email
        invitation = service.redeem(token, Registration(first_name, last_name, address,
                                                        username, password))
        show_invitation(invitation, as_json, lang)


@click.command("confirm-email")
@token_options
@lang_option
@json_option
def confirm_email(token: str | None, token_file: str | None, lang: str | None,
                  as_json: bool) -> None:
    """Confirm a changed e-mail address with the TOKEN from the confirmation mail
    (TOKEN - reads it from standard input; or INVITATIONS_TOKEN, or --token-file)."""
    lang = language(lang)
    token = read_token(token, token_file, lang)
    with service_from_environment(as_json, lang) as service:
        show_invitation(service.confirm_email(token), as_json, lang)


def _actor(by_id: str, by_role: str, by_company_id: str | None) -> Inviter:
    # A main user acts for one company: without it every check would say
    # "only the main user of the company may..." to the main user themself.
    if by_role == "main_user" and not by_company_id:
        raise click.UsageError(Text(T_(
            "a main user acts for a company: give --by-company-id (the business id), "
            "or --by-role operator for customer service"
        )).message(language(None)))
    return Inviter(by_id, None, Role(by_role), by_company_id)


@click.command()
@click.argument("invitation_id")
@click.option("--email", default=None,
              help="A corrected address: the invitation is revoked and a new one with the "
              "same details goes to this address (e.g. after a bounce).")
@actor_options
@lang_option
@json_option
def resend(invitation_id: str, email: str | None, by_id: str, by_role: str,
           by_company_id: str | None, lang: str | None, as_json: bool) -> None:
    """Send INVITATION_ID again with a new link and a new validity; the old link dies."""
    lang = language(lang)
    by = _actor(by_id, by_role, by_company_id)
    with service_from_environment(as_json, lang) as service:
        show_invitation(service.resend(invitation_id, by=by, email=email), as_json, lang)


@click.command()
@click.argument("invitation_id")
@actor_options
@lang_option
@json_option
def revoke(invitation_id: str, by_id: str, by_role: str, by_company_id: str | None,
           lang: str | None, as_json: bool) -> None:
    """Withdraw INVITATION_ID; its link stops working."""
    lang = language(lang)
    by = _actor(by_id, by_role, by_company_id)
    with service_from_environment(as_json, lang) as service:
        show_invitation(service.revoke(invitation_id, by=by), as_json, lang)


@click.command("list")
@click.option("--company-id", default=None, help="Only this company's invitations.")
@click.option("--status", type=click.Choice([*(str(s) for s in InvitationStatus),
                                             str(DeliveryState.BOUNCED)]), default=None,
              help="Only invitations in this status; bounced: those whose mail bounced.")
@lang_option
@json_option
def list_(company_id: str | None, status: str | None, lang: str | None, as_json: bool) -> None:
    """List invitations with their status and delivery state."""
    lang = language(lang)
    with service_from_environment(as_json, lang) as service:
        found = service.list(company=company_id, status=status)
        if as_json:
            emit({"ok": True, "invitations": [i.to_dict() for i in found]})
            return
        for inv in found:
            delivery = f"{inv.delivery_state or '-'}"
            if inv.bounce_status:
                delivery += f" {inv.bounce_status} {inv.bounce_reason or ''}".rstrip()
            if inv.last_error:
                delivery += f" ({inv.last_error})"
            expires = Text(T_("expires %(when)s"),
                           when=f"{inv.expires_at:%Y-%m-%d %H:%M}").message(lang)
            click.echo(f"{inv.id}  {inv.status:<21} {inv.company.business_id}  "
                       f"{inv.email}  {expires}  {delivery}")
        if not found:
            click.echo(Text(T_("no invitations")).message(lang))


@click.command("check-password")
@click.option("--first-name", required=True)
@click.option("--last-name", required=True)
@click.option("--policy", type=click.Choice(["document", "nist"]), default=None,
              help="Default: INVITATIONS_PASSWORD_POLICY, else document.")
@lang_option
@json_option
def check_password_command(first_name: str, last_name: str, policy: str | None,
                           lang: str | None, as_json: bool) -> None:
    """Check the password on standard input; exit 0 when accepted, 1 with the reasons."""
    lang = language(lang)
    name = policy or os.environ.get("INVITATIONS_PASSWORD_POLICY", "document") or "document"
    try:
        rules = PasswordPolicy.named(name)
    except ValueError:
        raise click.BadParameter(Text(T_(
            "unknown password policy %(name)s; use 'document' or 'nist'"), name=repr(name)
        ).message(lang), param_hint="INVITATIONS_PASSWORD_POLICY") from None
    password = sys.stdin.readline().rstrip("\r\n")
    violations = check_password(password, first_name=first_name, last_name=last_name,
                                policy=rules)
    if as_json:
        emit({"ok": not violations, "violations": [v.to_dict() for v in violations]})
    elif violations:
        for violation in violations:
            click.echo(f"- {violation.message(lang)}", err=True)
    else:
        click.echo(Text(T_("The password is accepted.")).message(lang))
    sys.exit(1 if violations else 0)
