"""The invitation lifecycle: issue, verify, redeem, confirm, resend, revoke.

:class:`InvitationService` enforces the source document's rules and ties the
parts together: tokens (signed links), the store (records and outbox), the
renderer (the mail) and a transport (delivery right after the commit).
"""

from __future__ import annotations

import builtins
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.utils import make_msgid, parseaddr
from types import TracebackType

from invitations.accounts import AccountCreator, AccountRef
from invitations.bounces.record import BounceOutcome, record_bounce
from invitations.bounces.verp import ReturnPath
from invitations.clock import Clock, SystemClock
from invitations.delivery.worker import deliver, worker_id
from invitations.errors import (
    ConfigurationError,
    ConfirmationExpired,
    ContractNumberRequired,
    DeliveryFailed,
    InvalidChoice,
    InvitationError,
    InvitationExpired,
    InvitationInvalid,
    InvitationNotFound,
    InvitationRevoked,
    InvitationSuperseded,
    InvitationUsed,
    RegistrationInProgress,
)
from invitations.events import (
    INVITATION_ACCEPTED,
    INVITATION_EMAIL_CONFIRMED,
    INVITATION_RESENT,
    INVITATION_REVOKED,
    EventHandler,
    Events,
)
from invitations.i18n.catalogs import DEFAULT_DOMAIN
from invitations.i18n.languages import LANGUAGES
from invitations.i18n.runtime import preload
from invitations.i18n.texts import DOMAIN as TEXTS_DOMAIN
from invitations.models import (
    Company,
    DeliveryState,
    Invitation,
    InvitationStatus,
    Inviter,
    OutboxRow,
    Registration,
    Role,
)
from invitations.notify import FollowUp, Notice, UndeliverableNotifier
from invitations.password import PasswordPolicy
from invitations.registration import validate_registration
from invitations.rendering import (
    ConfirmationEmail,
    InvitationEmail,
    compose_confirmation,
    compose_invitation,
)
from invitations.rules import authorize_issue, authorize_manage, nonce_matches, raise_if_closed
from invitations.store import InvitationStore, SQLiteInvitationStore, StoredInvitation
from invitations.tokens import (
    CONFIRMATION_SALT,
    INVITATION_SALT,
    TokenExpired,
    TokenPayload,
    TokenSigner,
    hash_nonce,
    new_nonce,
)
from invitations.transports.base import OutgoingMessage, SendResult, Transport
from invitations.undeliverable import UndeliverableReason
from invitations.validation import (
    MAX_NAME,
    check_text,
    normalize_business_id,
    normalize_company,
    normalize_email,
    normalize_inviter,
    normalize_languages,
    normalize_role,
    normalize_services,
    optional_text,
)

#: One committed delivery result, as :func:`~invitations.delivery.worker.deliver` hands it.
Attempt = tuple[OutboxRow, SendResult, DeliveryState]

#: The document: "Rekisteröitymislinkki on voimassa 7 vuorokautta."
DEFAULT_VALIDITY = timedelta(days=7)
DEFAULT_CONFIRMATION_VALIDITY = timedelta(hours=24)
DEFAULT_SENDER = "Posti <noreply@posti.fi>"
#: How long one submit holds the invitation while the host creates the account;
#: after it, a retry (say after a crash) may claim it and call the host again.
DEFAULT_REGISTRATION_LEASE = timedelta(seconds=60)

log = logging.getLogger("invitations.service")


class InvitationService:
    """Issues and manages invitations. Thread-safe; share one per process."""

    def __init__(
        self,
        secret_keys: str | bytes | Sequence[str | bytes],
        base_url: str,
        transport: Transport | str | None,
        store: InvitationStore | None = None,
        clock: Clock | None = None,
        validity: timedelta = DEFAULT_VALIDITY,
        sender: str = DEFAULT_SENDER,
        languages: Sequence[str] = LANGUAGES,
        *,
        confirmation_validity: timedelta = DEFAULT_CONFIRMATION_VALIDITY,
        password_policy: PasswordPolicy | None = None,
        raise_on_delivery_failure: bool = False,
        close_store: bool | None = None,
        registration_lease: timedelta = DEFAULT_REGISTRATION_LEASE,
        on_event: EventHandler | None = None,
        operator_address: str | None = None,
        notify_undeliverable_on_failure: bool = True,
        bounce_address: str | None = None,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.validity = check_validity("validity", validity)
        self.confirmation_validity = check_validity("confirmation_validity",
                                                    confirmation_validity)
        self.base_url = check_base_url(base_url)
        self.sender, self._msgid_domain = check_sender(sender)
        self.languages = normalize_languages(languages, LANGUAGES)
        # A missing or broken catalog fails here, at start-up, not in a request.
        preload(self.languages, (DEFAULT_DOMAIN, TEXTS_DOMAIN))
        self.password_policy = password_policy or PasswordPolicy()
        self.registration_lease = check_validity("registration_lease", registration_lease)
        self.raise_on_delivery_failure = raise_on_delivery_failure
        self._key_count = 1 if isinstance(secret_keys, str | bytes) else len(secret_keys)
        self._signer = TokenSigner(secret_keys, salt=INVITATION_SALT, max_age=validity,
                                   clock=self.clock)
        self._confirm_signer = TokenSigner(secret_keys, salt=CONFIRMATION_SALT,
                                           max_age=confirmation_validity, clock=self.clock)
        # close() closes the store we made, or the one we were told to own.
        self._owns_store = store is None if close_store is None else close_store
        self.store: InvitationStore = store if store is not None else SQLiteInvitationStore()
        self.transport = resolve_transport(transport)
        # A transport built here from a URL is ours to close; one passed in is not.
        self._owns_transport = isinstance(transport, str)
        self._owner = worker_id()
        #: With a bounce address, each invitation mail's envelope sender is its own
        #: signed return path (VERP), so a bounce finds its mail; see invitations.bounces.
        self.return_path: ReturnPath | None = (
            ReturnPath.create(bounce_address, secret_keys) if bounce_address else None)
        # One transport object is not safe for concurrent batches; serialize them.
        self._transport_lock = threading.Lock()
        #: Handlers of events after commit (:mod:`invitations.events`).
        self.events = Events(self.clock)
        if on_event is not None:
            self.events.subscribe(on_event)
        #: Where notices go for operators' invitations and inviters without an address.
        self.operator_address = check_operator_address(operator_address)
        self._notifier = UndeliverableNotifier(
            self.store, clock=self.clock, sender=self.sender,
            msgid_domain=self._msgid_domain, languages=self.languages,
            operator_address=self.operator_address)
        self._follow_up = FollowUp(self.store, self.events, self._notifier,
                                   notify=notify_undeliverable_on_failure)
        self._log_configuration()

    def _log_configuration(self) -> None:
        """What this service was configured with, secrets masked and addresses at DEBUG."""
        log.info(
            "service configured: base URL %s, transport %r, store %s, sender domain %s, "
            "languages %s, validity %s, %d signing key(s) (masked), operator mailbox %s, "
            "undeliverable notices %s",
            self.base_url, self.transport if self.transport is not None else "none (queue only)",
            getattr(self.store, "where", type(self.store).__name__), self._msgid_domain,
            ",".join(self.languages), str(self.validity).removesuffix(", 0:00:00"),
            self._key_count,
            "set" if self.operator_address else "not set",
            "on" if self.notify_undeliverable_on_failure else "off")
        log.debug("sender %s, operator mailbox %s", self.sender, self.operator_address)

    # -- lifecycle ----------------------------------------------------------

    def send_invite(
        self,
        email: str,
        *,
        company: Company,
        invited_by: Inviter,
        role: Role | str = Role.USER,
        services: Sequence[str] = ("smartship",),
        languages: Sequence[str] | str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        deliver: bool = True,
    ) -> Invitation:
        """Issue an invitation (or resend the open one for this address and company).

        The record and its mail are committed together, then the mail is sent
        at once; ``deliver=False`` only queues it (bulk runs send in batches).
        """
        address = normalize_email(email)
        company = normalize_company(company)
        inviter = normalize_inviter(invited_by)
        granted = normalize_role(role)
        wanted = normalize_services(services)
        langs = self.languages if languages is None else normalize_languages(
            languages, LANGUAGES)
        first = optional_text("first_name", first_name, limit=MAX_NAME)
        last = optional_text("last_name", last_name, limit=MAX_NAME)
        authorize_issue(inviter, company.business_id, granted)
        if "smartship" in wanted and not company.contract_number:
            raise ContractNumberRequired("contract_number")
        now = self._now()
        existing = self.store.find_open(company.business_id, address, now=now)
        if existing is not None:
            if existing.invitation.role is granted:
                return self._reissue(existing.invitation, now, deliver=deliver)
            # A different role replaces the open invitation (e.g. customer service
            # makes the invited user a main user), if this inviter may withdraw it.
            authorize_manage(inviter, existing.invitation)
            if self.store.revoke(existing.invitation.id, by=inviter.id, now=now):
                self._emit(INVITATION_REVOKED, existing.invitation.id, by=inviter.id)
        draft = self.draft(address, company, inviter, granted, wanted, langs, first, last, now)
        message = self.with_return_path(compose_invitation(draft.email))
        self.store.add(draft.invitation, nonce_hash=draft.nonce_hash, message=message, now=now)
        log_issued(draft.invitation, message.message_id, "issued")
        return self._delivered(draft.invitation.id, message, draft.link, deliver=deliver)

    def verify(self, token: str) -> Invitation:
        """The invitation behind a link, if it can be redeemed now. Changes nothing."""
        stored, _ = self._resolve(token)
        return replace(stored.invitation, link=self._link("register", token))

    def redeem(self, token: str, registration: Registration, *,
               accounts: AccountCreator | None = None) -> Invitation:
        """Accept the registration; single use. A changed e-mail waits for confirmation.

        With ``accounts`` the host's :meth:`~invitations.accounts.AccountCreator.create_account`
        receives the registration (password included) under a short lease on the
        invitation, and the invitation is accepted only once it returned; see
        :mod:`invitations.accounts`. Its :class:`~invitations.accounts.AccountRejected`
        (or any other exception) propagates and the invitation stays pending.
        """
        stored, payload = self._resolve(token)
        details = validate_registration(registration, policy=self.password_policy)
        invitation = stored.invitation
        now = self._now()
        message: OutgoingMessage | None = None
        confirm_hash: str | None = None
        if details.email.casefold() != invitation.email.casefold():
            # The invitation proved control of the invited address only.
            nonce = new_nonce()
            confirm_hash = hash_nonce(nonce)
            link = self._link("confirm-email", self._confirm_signer.sign(invitation.id, nonce))
            message = compose_confirmation(ConfirmationEmail(
                invitation_id=invitation.id, to_email=details.email,
                to_name=f"{details.first_name} {details.last_name}", link=link,
                expires_at=now.replace(microsecond=0) + self.confirmation_validity,
                validity=self.confirmation_validity, languages=invitation.languages,
                message_id=self._message_id(), sender=self.sender, sent_at=now,
            ))
        nonce_hash = hash_nonce(payload.nonce)
        account: AccountRef | None = None
        if accounts is not None:
            handed = Registration(
                first_name=details.first_name, last_name=details.last_name,
                email=details.email, username=details.username,
                password=registration.password, email_confirmed=message is None,
            )
            account = self._create_account(accounts, token, invitation, handed, nonce_hash,
                                           now)
        if not self.store.redeem(invitation.id, nonce_hash=nonce_hash, now=now,
                                 details=details, confirm_nonce_hash=confirm_hash,
                                 message=message,
                                 account_id=None if account is None else account.id):
            self._resolve(token)  # raises the precise reason (used, revoked, expired ...)
            raise InvitationUsed()
        if message is None:
            self._emit(INVITATION_ACCEPTED, invitation.id)
        else:
            self._send([message.message_id])
        log.info("invitation %s %s", invitation.id,
                 "accepted" if message is None else "redeemed; the changed address awaits "
                 "confirmation", extra={
            "invitation_id": invitation.id, "company_id": invitation.company_id,
            "account_id": None if account is None else account.id,
            "awaiting_confirmation": message is not None})
        return self._get(invitation.id)

    def _create_account(self, accounts: AccountCreator, token: str, invitation: Invitation,
                        registration: Registration, nonce_hash: str,
                        now: datetime) -> AccountRef:
        """Claim the invitation, then let the host create the account; the claim is
        given back if the host refuses or fails, so the invitation stays pending."""
        owner = uuid.uuid4().hex
        if not self.store.claim_registration(invitation.id, nonce_hash=nonce_hash, owner=owner,
                                             now=now, until=now + self.registration_lease):
            self._resolve(token)  # raises the precise reason (used, revoked, expired ...)
            raise RegistrationInProgress()
        try:
            account = accounts.create_account(invitation, registration)
        except BaseException:
            self.store.release_registration(invitation.id, owner=owner)
            raise
        if not isinstance(account, AccountRef):
            self.store.release_registration(invitation.id, owner=owner)
            raise TypeError(f"create_account must return an AccountRef, got {account!r}")
        return account

    def confirm_email(self, token: str, *, accounts: AccountCreator | None = None
                      ) -> Invitation:
        """Complete a registration whose e-mail address was changed in the form.

        With ``accounts``, the account the host created disabled at registration is
        enabled (:meth:`~invitations.accounts.AccountCreator.enable_account`) before the
        invitation is accepted; if that raises, the invitation keeps waiting.
        """
        try:
            payload = self._confirm_signer.load(token)
        except TokenExpired as exc:
            raise ConfirmationExpired(signed_at=exc.payload.signed_at,
                                      expires_at=exc.expires_at) from None
        stored = self.store.get(payload.invitation_id, now=self._now())
        if stored is None:
            raise InvitationInvalid("no such invitation")
        status = stored.invitation.status
        if status is InvitationStatus.ACCEPTED:
            raise InvitationUsed()
        if status is InvitationStatus.REVOKED:
            raise InvitationRevoked()
        if status is not InvitationStatus.AWAITING_CONFIRMATION:
            raise InvitationInvalid("nothing waits for confirmation")
        if not nonce_matches(stored.confirm_nonce_hash, payload.nonce):
            raise InvitationSuperseded()
        if accounts is not None and stored.invitation.account_id is not None:
            accounts.enable_account(stored.invitation, AccountRef(stored.invitation.account_id))
        if not self.store.confirm(stored.invitation.id, confirm_nonce_hash=hash_nonce(
                payload.nonce), now=self._now()):
            raise InvitationUsed()
        confirmed = self._get(stored.invitation.id)
        log.info("invitation %s accepted: the changed e-mail address was confirmed",
                 confirmed.id, extra={"invitation_id": confirmed.id,
                                      "company_id": confirmed.company_id})
        self.events.emit(INVITATION_EMAIL_CONFIRMED, confirmed)
        self.events.emit(INVITATION_ACCEPTED, confirmed)
        return confirmed

    def resend(self, invitation_id: str, *, by: Inviter, email: str | None = None
               ) -> Invitation:
        """New nonce and a new validity window; the previous link stops working.

        With ``email`` (a corrected address, say after a bounce) that differs from
        the invited one, the invitation is revoked and a new one with the same
        company, role, services, languages and names goes to ``email``; the new
        invitation is returned (its own id). The same address is a plain resend.
        """
        invitation = self._get(invitation_id)
        inviter = normalize_inviter(by)
        authorize_manage(inviter, invitation)
        raise_if_closed(invitation)
        if email is not None and normalize_email(email).casefold() != invitation.email.casefold():
            address = normalize_email(email)
            self.revoke(invitation.id, by=inviter)
            log.info("invitation resent to a corrected address", extra={
                "invitation_id": invitation.id, "company_id": invitation.company_id})
            return self.send_invite(
                address, company=invitation.company, invited_by=inviter, role=invitation.role,
                services=invitation.services, languages=invitation.languages,
                first_name=invitation.first_name, last_name=invitation.last_name)
        return self._reissue(invitation, self._now())

    def revoke(self, invitation_id: str, *, by: Inviter) -> Invitation:
        """Withdraw an open invitation; its link and any confirmation link stop working."""
        invitation = self._get(invitation_id)
        inviter = normalize_inviter(by)
        authorize_manage(inviter, invitation)
        if invitation.status is InvitationStatus.REVOKED:
            return invitation
        if invitation.status is InvitationStatus.ACCEPTED:
            raise InvitationUsed()
        if not self.store.revoke(invitation.id, by=inviter.id, now=self._now()):
            raise_if_closed(self._get(invitation_id))
        revoked = self._get(invitation_id)
        log.info("invitation %s revoked", revoked.id, extra={
            "invitation_id": revoked.id, "company_id": revoked.company_id,
            "inviter_role": str(inviter.role)})
        self.events.emit(INVITATION_REVOKED, revoked, by=inviter.id)
        return revoked

    def get(self, invitation_id: str) -> Invitation:
        return self._get(invitation_id)

    def list(self, company: Company | str | None = None,
             status: InvitationStatus | str | None = None) -> builtins.list[Invitation]:
        """Invitations, oldest first; ``status`` may be ``expired`` (derived from time)
        or ``bounced`` (pending or expired invitations whose current mail bounced)."""
        company_id = None
        if company is not None:
            raw = company.business_id if isinstance(company, Company) else company
            company_id = normalize_business_id(raw)
        wanted = None
        if status is not None and str(status) == DeliveryState.BOUNCED:
            # Not a status of the invitation (it stays pending): the state of its mail.
            # Revoked ones (say, replaced by one to a corrected address) are done with.
            return [i for i in self.store.list_invitations(
                company_id=company_id, now=self._now(), delivery_state=DeliveryState.BOUNCED)
                if i.status in (InvitationStatus.PENDING, InvitationStatus.EXPIRED)]
        if status is not None:
            try:
                wanted = InvitationStatus(status)
            except ValueError:
                raise InvalidChoice("status", value=str(status), allowed=", ".join(
                    [*(str(s) for s in InvitationStatus), str(DeliveryState.BOUNCED)])
                ) from None
        return self.store.list_invitations(company_id=company_id, status=wanted,
                                           now=self._now())

    def record_bounce(self, raw: bytes, *, recipients: Sequence[str] = ()) -> BounceOutcome:
        """Take in one bounce (the raw mail, e.g. an RFC 3464 report) and act on it:
        see :mod:`invitations.bounces.record`. ``recipients``: the SMTP envelope's, when
        the caller received it over SMTP (else the mail's headers are read). Never
        raises for bad input; the outcome says what happened and why."""
        return record_bounce(self, raw, recipients)

    def with_return_path(self, message: OutgoingMessage) -> OutgoingMessage:
        """The invitation mail with its signed return path as envelope sender (VERP),
        when a bounce address is configured; else unchanged."""
        if self.return_path is None:
            return message
        return replace(message, sender=self.return_path.sender_for(message.message_id))

    def deliver_queued(self, limit: int = 100) -> int:
        """Try every due queued message once; return how many were sent (notices
        queued by failures in this run are sent in it too, not counted)."""
        if self.transport is None:
            return 0
        results: builtins.list[Attempt] = []
        with self._transport_lock:
            sent = deliver(self.store, self.transport, clock=self.clock, owner=self._owner,
                           limit=limit, on_result=collector(results)).sent
        self._send(self._followed_up(results))
        return sent

    def notify_undeliverable(self, invitation_id: str, reason: UndeliverableReason | str,
                             diagnostic: str) -> None:
        """Tell the inviter (or the operator mailbox) that the invitation could not be
        delivered: the trilingual notice, queued in the outbox and sent like other mail.

        Once per failure: a second call for the same invitation mail and reason queues
        nothing (see :mod:`invitations.notify`). Nobody to tell (no inviter address, no
        ``operator_address``) is logged, not raised.
        """
        invitation = self._get(invitation_id)
        try:
            why = UndeliverableReason(reason)
        except ValueError:
            raise InvalidChoice("reason", value=str(reason), allowed=", ".join(
                str(r) for r in UndeliverableReason)) from None
        notice = self._notifier.queue(invitation, why, str(diagnostic or ""))
        if notice is not None:
            self._send([notice.message_id])

    def delivery_result(self, row: OutboxRow, result: SendResult, state: DeliveryState
                        ) -> Notice | None:
        """What follows a committed delivery result (:class:`~invitations.notify.FollowUp`):
        ``invitation.sent`` or ``invitation.delivery_failed``, and for a 5xx the notice
        to the inviter unless :attr:`notify_undeliverable_on_failure` is off."""
        return self._follow_up(row, result, state)

    @property
    def notify_undeliverable_on_failure(self) -> bool:
        """Whether a 5xx at SMTP time tells the inviter (default ``True``)."""
        return self._follow_up.notify

    @notify_undeliverable_on_failure.setter
    def notify_undeliverable_on_failure(self, value: bool) -> None:
        self._follow_up.notify = value

    def result_hook(self, notices: builtins.list[str]
                    ) -> Callable[[OutboxRow, SendResult, DeliveryState], None]:
        """:meth:`delivery_result` as the ``on_result`` hook of
        :func:`~invitations.delivery.worker.deliver`, appending the Message-IDs of the
        notices it queued to ``notices`` (for the caller to send)."""

        def hook(row: OutboxRow, result: SendResult, state: DeliveryState) -> None:
            notice = self.delivery_result(row, result, state)
            if notice is not None:
                notices.append(notice.message_id)

        return hook

    def send_now(self, message_ids: builtins.list[str]) -> None:
        """Send these queued messages now (e.g. a credential order's mail queued by
        :mod:`invitations.orders`); without a transport they wait for a worker."""
        self._send(message_ids)

    def _followed_up(self, results: builtins.list[Attempt]) -> builtins.list[str]:
        """:meth:`delivery_result` of each result, called once the transport lock is
        released (a handler may call the service again); the notices queued."""
        notices: builtins.list[str] = []
        for row, result, state in results:
            try:
                notice = self.delivery_result(row, result, state)
            except Exception:  # as in deliver(): a follow-up never fails the operation
                log.exception("following up outbox row %s failed", row.id,
                              extra={"message_id": row.message_id,
                                     "invitation_id": row.invitation_id})
                continue
            if notice is not None:
                notices.append(notice.message_id)
        return notices

    def close(self) -> None:
        if self._owns_transport and self.transport is not None:
            with self._transport_lock:
                self.transport.close()
        if self._owns_store:
            self.store.close()

    def __enter__(self) -> InvitationService:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- internals ----------------------------------------------------------

    def _now(self) -> datetime:
        return self.clock.now()

    def _link(self, path: str, token: str) -> str:
        return f"{self.base_url}/{path}?token={token}"

    def _message_id(self) -> str:
        return make_msgid(domain=self._msgid_domain)

    def _get(self, invitation_id: str) -> Invitation:
        check_text("invitation_id", invitation_id, limit=64)
        stored = self.store.get(invitation_id, now=self._now())
        if stored is None:
            raise InvitationNotFound(invitation_id=invitation_id)
        return stored.invitation

    def _resolve(self, token: str) -> tuple[StoredInvitation, TokenPayload]:
        expired: TokenExpired | None = None
        try:
            payload = self._signer.load(token)
        except TokenExpired as exc:
            payload, expired = exc.payload, exc
        stored = self.store.get(payload.invitation_id, now=self._now())
        if stored is None:
            raise InvitationInvalid("no such invitation")
        invitation = stored.invitation
        raise_if_closed(invitation)
        if not nonce_matches(stored.nonce_hash, payload.nonce):
            raise InvitationSuperseded()
        if expired is not None or invitation.status is InvitationStatus.EXPIRED:
            raise InvitationExpired(signed_at=payload.signed_at,
                                    expires_at=invitation.expires_at,
                                    role=str(invitation.role), invitation_id=invitation.id)
        return stored, payload

    def draft(self, address: str, company: Company, inviter: Inviter, role: Role,
              services: tuple[str, ...], languages: tuple[str, ...], first: str | None,
              last: str | None, now: datetime) -> Draft:
        """A new invitation, its signed link and what its mail shows; the values must
        already be normalised and allowed (``send_invite`` and bulk rows check them)."""
        issued = now.replace(microsecond=0)  # tokens carry whole seconds
        invitation = Invitation(
            id=uuid.uuid4().hex, email=address, company=company, inviter=inviter,
            role=role, services=services, languages=languages, created_at=now,
            issued_at=issued, expires_at=issued + self.validity,
            status=InvitationStatus.PENDING, first_name=first, last_name=last,
        )
        nonce = new_nonce()
        link = self._link("register", self._signer.sign(invitation.id, nonce))
        return Draft(invitation, hash_nonce(nonce), link,
                      self._invitation_email(invitation, link, now), now)

    def _invitation_message(self, invitation: Invitation, link: str, now: datetime
                            ) -> OutgoingMessage:
        return self.with_return_path(
            compose_invitation(self._invitation_email(invitation, link, now)))

    def _invitation_email(self, invitation: Invitation, link: str, now: datetime
                          ) -> InvitationEmail:
        names = " ".join(n for n in (invitation.first_name, invitation.last_name) if n)
        return InvitationEmail(
            invitation_id=invitation.id, to_email=invitation.email, to_name=names or None,
            company_name=invitation.company.name,
            inviter_name=invitation.inviter.name or invitation.inviter.id,
            invited_role=str(invitation.role), link=link, expires_at=invitation.expires_at,
            validity=self.validity, languages=invitation.languages,
            message_id=self._message_id(), sender=self.sender, sent_at=now,
        )

    def _emit(self, name: str, invitation_id: str, **detail: str) -> None:
        """Emit ``name`` with the invitation as it stands now (after the commit)."""
        self.events.emit(name, self._get(invitation_id), **detail)

    def _reissue(self, invitation: Invitation, now: datetime, *, deliver: bool = True
                 ) -> Invitation:
        issued = now.replace(microsecond=0)
        fresh = replace(invitation, issued_at=issued, expires_at=issued + self.validity)
        nonce = new_nonce()
        link = self._link("register", self._signer.sign(invitation.id, nonce))
        message = self._invitation_message(fresh, link, now)
        if not self.store.reissue(invitation.id, nonce_hash=hash_nonce(nonce), issued_at=issued,
                                  expires_at=fresh.expires_at, message=message):
            raise_if_closed(self._get(invitation.id))
            raise InvitationInvalid("the invitation changed meanwhile; try again")
        log_issued(fresh, message.message_id, "resent")
        self._emit(INVITATION_RESENT, invitation.id, message_id=message.message_id)
        return self._delivered(invitation.id, message, link, deliver=deliver)

    def _delivered(self, invitation_id: str, message: OutgoingMessage, link: str, *,
                   deliver: bool) -> Invitation:
        if deliver:
            self._send([message.message_id])
        invitation = replace(self._get(invitation_id), link=link)
        if (deliver and self.raise_on_delivery_failure
                and invitation.delivery_state is not DeliveryState.SENT):
            raise DeliveryFailed(recipient=invitation.email,
                                 reply=invitation.last_error or "not sent")
        return invitation

    def _send(self, message_ids: builtins.list[str]) -> None:
        """Send these queued messages now, then the notices their failures queued
        (a notice never queues another, so this ends)."""
        if self.transport is None:
            return  # queue only: a worker (``invitations deliver``) sends later
        while message_ids:
            results: builtins.list[Attempt] = []
            with self._transport_lock:
                deliver(self.store, self.transport, clock=self.clock, owner=self._owner,
                        message_ids=message_ids,
                        on_result=collector(results))
            message_ids = self._followed_up(results)


def collector(results: list[Attempt]) -> Callable[[OutboxRow, SendResult, DeliveryState], None]:
    """A ``deliver`` hook that only keeps each result, for a follow-up after the lock."""

    def keep(row: OutboxRow, result: SendResult, state: DeliveryState) -> None:
        results.append((row, result, state))

    return keep


def log_issued(invitation: Invitation, message_id: str, what: str) -> None:
    """``invitation <id> issued|resent, mail <Message-ID> queued`` (the address at DEBUG)."""
    fields = {"invitation_id": invitation.id, "company_id": invitation.company_id,
              "message_id": message_id, "role": str(invitation.role),
              "inviter_role": str(invitation.inviter.role)}
    log.info("invitation %s %s (%s, expires %s); mail %s queued", invitation.id, what,
             invitation.role, invitation.expires_at.isoformat(), message_id, extra=fields)
    log.debug("invitation %s is addressed to %s", invitation.id, invitation.email,
              extra=fields)


@dataclass(frozen=True)
class Draft:
    """An invitation not stored yet: the record, its nonce hash, link and mail context."""

    invitation: Invitation
    nonce_hash: str
    link: str
    email: InvitationEmail
    now: datetime


# -- checks of the constructor's arguments: a bad value fails at start-up --


def resolve_transport(transport: Transport | str | None) -> Transport | None:
    """The transport itself, or one built from a URL string."""
    if transport is None or not isinstance(transport, str):
        return transport
    from invitations.transports import transport_from_url  # loads only the chosen transport

    return transport_from_url(transport)


def check_validity(name: str, value: timedelta) -> timedelta:
    """A link's lifetime, which must be positive."""
    if value <= timedelta(0):
        raise ConfigurationError(
            f"{name} must be positive, got {value}; the document's figure is 7 days "
            "for invitations (24 hours for an e-mail confirmation)"
        )
    return value


def check_base_url(base_url: str) -> str:
    """The registration site's URL without a trailing slash."""
    url = (base_url or "").strip().rstrip("/")
    if not url.startswith(("http://", "https://")) or any(c.isspace() for c in url):
        raise ConfigurationError(
            f"base URL {base_url!r} must start with http:// or https:// (set "
            "INVITATIONS_BASE_URL to the registration site, e.g. https://portal.example.fi)"
        )
    return url


def check_operator_address(address: str | None) -> str | None:
    """The operator mailbox, normalised; ``None`` or blank: none configured."""
    if address is None or not address.strip():
        return None
    try:
        return normalize_email(address.strip(), field="operator_address")
    except InvitationError as exc:
        raise ConfigurationError(
            f"operator address {address!r}: {exc} (set INVITATIONS_OPERATOR_ADDRESS to "
            "the mailbox of customer service, e.g. asiakaspalvelu@posti.fi)") from None


def check_sender(sender: str) -> tuple[str, str]:
    """The sender as given and the domain of its address (for Message-IDs)."""
    try:
        text = check_text("sender", sender, limit=200)
        address = normalize_email(parseaddr(text)[1], field="sender")
    except InvitationError as exc:
        raise ConfigurationError(f"sender {sender!r}: {exc}") from None
    return text, address.rpartition("@")[2]
