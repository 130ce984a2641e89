"""SMTP and SMTPS: one reused connection, TLS verified, replies mapped per message.

``smtp://[user:pass@]host[:port]?starttls=required|opportunistic|off&timeout=10``
``smtps://[user:pass@]host[:port]`` (implicit TLS). Other options: ``cafile``
(a CA bundle for a relay with a private certificate), ``allow_insecure_auth``
(AUTH without TLS, for a trusted relay on loopback only) and
``local_hostname`` (the EHLO name).

Replies to a message (MAIL, RCPT, DATA) decide its fate: 2xx accepted, 4xx
temporary, 5xx permanent. Problems of the session itself (connection refused,
greeting, TLS, AUTH, a dropped connection) are temporary: the message is fine
and is sent once the relay or its configuration is fixed.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import logging
import os
import smtplib
import socket
import ssl
import threading
from collections.abc import Sequence

from invitations.errors import ConfigurationError
from invitations.redaction import mask_addresses
from invitations.transports import wire
from invitations.transports.base import BaseTransport, OutgoingMessage, SendResult, SendStatus
from invitations.transports.url import TransportURL

log = logging.getLogger("invitations.transports.smtp")


class StartTLS(enum.StrEnum):
    """When to upgrade a plain ``smtp://`` connection with STARTTLS."""

    #: Upgrade or fail: the relay must offer STARTTLS.
    REQUIRED = "required"
    #: Upgrade when offered (still verifying the certificate), else stay plain.
    OPPORTUNISTIC = "opportunistic"
    #: Never upgrade.
    OFF = "off"


class _SessionError(Exception):
    """Setting up the session failed; every message waiting on it is temporary."""

    def __init__(self, result: SendResult) -> None:
        super().__init__(result.reply)
        self.result = result


class _Stale(Exception):
    """The server went away before the transaction committed: safe to redo once."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@functools.cache
def _fqdn() -> str:
    # smtplib calls getfqdn() on every connect, a DNS round trip each time.
    return socket.getfqdn()


def _worth_sending(rcpt_replies: Sequence[tuple[int, bytes]]) -> bool:
    """Whether DATA should follow: someone accepted and no one was refused for now.

    After any temporary refusal nothing is sent, so that the retry of the whole
    message duplicates it for nobody.
    """
    codes = [code for code, _ in rcpt_replies]
    return any(c in (250, 251) for c in codes) and not any(400 <= c < 500 for c in codes)


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


class SMTPTransport(BaseTransport):
    """Send over SMTP, reusing one connection for many messages.

    Connects lazily on the first message, so a relay that is down yields
    temporary results rather than an exception. One instance serves one thread
    at a time (calls are serialised); run several instances for parallelism.
    """

    def __init__(
        self,
        host: str = "localhost",
        port: int | None = None,
        *,
        implicit_tls: bool = False,
        starttls: StartTLS | str = StartTLS.OPPORTUNISTIC,
        timeout: float = 10.0,
        cafile: str | None = None,
        username: str | None = None,
        password: str | None = None,
        allow_insecure_auth: bool = False,
        local_hostname: str | None = None,
    ) -> None:
        self.host = host
        self.port = port if port is not None else (465 if implicit_tls else 25)
        self.implicit_tls = implicit_tls
        self.starttls = StartTLS(starttls)
        self.timeout = timeout
        self.cafile = cafile
        self.username = username
        self.password = password or ""
        self.allow_insecure_auth = allow_insecure_auth
        self.local_hostname = local_hostname
        if username and not (implicit_tls or allow_insecure_auth) and self.starttls is StartTLS.OFF:
            raise ConfigurationError(
                "SMTP credentials with starttls=off would be sent in clear text; "
                "use starttls=required or smtps://, or set allow_insecure_auth=true "
                "for a trusted local relay"
            )
        if cafile is not None and not os.path.isfile(cafile):
            raise ConfigurationError(
                f"cafile {cafile} is not a readable file; give the PEM file of the CA that "
                "signed the relay's certificate"
            )
        self._conn: smtplib.SMTP | None = None
        self._lock = threading.Lock()
        self._context: ssl.SSLContext | None = None

    @classmethod
    def from_url(cls, url: TransportURL) -> SMTPTransport:
        implicit = url.scheme == "smtps"
        if implicit and "starttls" in url.options:
            raise ConfigurationError(f"{url.redacted()}: smtps:// is already TLS; drop starttls")
        transport = cls(
            url.host or "localhost",
            url.port,
            implicit_tls=implicit,
            starttls=url.choice("starttls", [s.value for s in StartTLS], "opportunistic"),
            timeout=url.number("timeout", 10.0),
            cafile=url.text("cafile"),
            username=url.username,
            password=url.password,
            allow_insecure_auth=url.flag("allow_insecure_auth"),
            local_hostname=url.text("local_hostname"),
        )
        url.finish()
        return transport

    def __repr__(self) -> str:
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = f"{self.username}:***@" if self.username else ""
        return f"<SMTPTransport {scheme}://{user}{self.host}:{self.port}>"

    def close(self) -> None:
        with self._lock:
            self._drop(polite=True)

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        results: list[SendResult] = []
        with self._lock:
            for index, message in enumerate(messages):
                try:
                    result = self._send_one(message)
                except _SessionError as error:
                    # The relay cannot be used now: fail the rest fast instead
                    # of paying one connect timeout per message.
                    log.warning("relay %s:%s cannot be used now: %s (%d message(s) left "
                                "for a retry)", self.host, self.port,
                                mask_addresses(error.result.reply), len(messages) - index,
                                extra={"reply_code": error.result.code,
                                       "message_id": message.message_id})
                    results.extend(error.result for _ in messages[index:])
                    break
                log.debug("relay %s:%s answered %s for %s: %s", self.host, self.port,
                          result.code, message.message_id, result.reply,
                          extra={"reply_code": result.code, "message_id": message.message_id})
                results.append(result)
        return results

    # -- one message ---------------------------------------------------------

    def _send_one(self, message: OutgoingMessage) -> SendResult:
        refusal = wire.refusal(message, smtputf8_supported=True)
        if refusal is not None:
            return refusal
        reason = ""
        for _ in range(2):
            reused = self._conn is not None
            try:
                return self._transaction(self._connection(), message)
            except _Stale as stale:
                # The server had closed the idle connection or said 421:
                # nothing was committed, so start over once on a new one.
                self._drop()
                reason = stale.reason
                log.info("relay %s:%s closed the connection (%s)%s", self.host, self.port,
                         mask_addresses(reason), "; reconnecting" if reused else "",
                         extra={"message_id": message.message_id})
                if not reused:
                    break
        raise _SessionError(
            wire.temporary(None, f"{self.host}:{self.port} closed the connection: {reason}")
        )

    def _transaction(self, conn: smtplib.SMTP, message: OutgoingMessage) -> SendResult:
        options = ""
        if message.smtputf8:
            if not conn.has_extn("smtputf8"):
                return wire.permanent(
                    None, "The server does not support SMTPUTF8, which this message needs"
                )
            options = " SMTPUTF8"
            conn.command_encoding = "utf-8"
        if not message.data.isascii() and conn.has_extn("8bitmime"):
            options += " BODY=8BITMIME"
        try:
            # Addresses were checked by wire.refusal, so they are quoted
            # directly rather than re-parsed by smtplib for every message.
            commands = [f"MAIL FROM:<{message.sender}>{options}",
                        *(f"RCPT TO:<{r}>" for r in message.recipients), "DATA"]
            if conn.has_extn("pipelining"):
                # RFC 2920: the whole envelope in one write, the replies read in
                # order: two round trips a message instead of 2 + recipients.
                conn.send("".join(f"{command}\r\n" for command in commands))
                replies = [conn.getreply() for _ in commands]
                for code, reply in replies:
                    self._check_closing(code, reply)
            else:
                replies = [self._command(conn, commands[0])]
                if replies[0][0] == 250:
                    replies.extend(self._command(conn, c) for c in commands[1:-1])
                    if _worth_sending(replies[1:]):
                        replies.append(self._command(conn, "DATA"))
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            raise _Stale(str(error) or type(error).__name__) from None
        finally:
            conn.command_encoding = "ascii"
        (code, reply), rcpt_replies = replies[0], replies[1 : 1 + len(message.recipients)]
        data_code = replies[-1][0] if len(replies) == len(commands) else None
        if code != 250:
            return self._abort(conn, code, reply, data_code)
        rejected = [
            wire.from_reply(rcpt_code, f"<{recipient}>: {_text(rcpt_reply)}")
            for recipient, (rcpt_code, rcpt_reply) in zip(message.recipients, rcpt_replies,
                                                           strict=True)
            if rcpt_code not in (250, 251)
        ]
        if not _worth_sending(rcpt_replies):
            self._reset(conn, data_code)
            temporary = [r for r in rejected if r.status is SendStatus.TEMPORARY_FAILURE]
            return (temporary or rejected)[0]
        code, reply = replies[-1]
        if code != 354:
            return self._abort(conn, code, reply)
        try:
            conn.send(wire.wire_data(message.data))
            code, reply = conn.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            # Whether the server kept the message is unknown: a retry may
            # duplicate it, which the stable Message-ID makes recognisable.
            self._drop()
            return wire.temporary(None, f"connection lost during DATA: {error}")
        if code == 421:
            self._drop()
        result = wire.from_reply(code, _text(reply))
        if result.accepted and rejected:
            notes = "; ".join(r.reply for r in rejected)
            return SendResult(SendStatus.ACCEPTED, code, f"{result.reply} (rejected: {notes})")
        return result

    def _command(self, conn: smtplib.SMTP, command: str) -> tuple[int, bytes]:
        code, reply = conn.docmd(command)
        self._check_closing(code, reply)
        return code, reply

    @staticmethod
    def _check_closing(code: int, reply: bytes) -> None:
        # 421 means the server is closing the channel: nothing was committed.
        if code == 421:
            raise _Stale(f"421 {_text(reply)}")

    def _abort(self, conn: smtplib.SMTP, code: int, reply: bytes | str,
               data_code: int | None = None) -> SendResult:
        self._reset(conn, data_code)
        return wire.from_reply(code, _text(reply))

    def _reset(self, conn: smtplib.SMTP, data_code: int | None = None) -> None:
        if data_code == 354:
            # A pipelined DATA was accepted although the message must not go:
            # only closing the connection ends DATA without delivering anything.
            self._drop()
            return
        try:
            conn.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    # -- the session ---------------------------------------------------------

    def _connection(self) -> smtplib.SMTP:
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def _connect(self) -> smtplib.SMTP:
        hostname = self.local_hostname or _fqdn()
        conn: smtplib.SMTP | None = None
        try:
            if self.implicit_tls:
                conn = smtplib.SMTP_SSL(
                    self.host, self.port, hostname, timeout=self.timeout, context=self._tls()
                )
            else:
                conn = smtplib.SMTP(self.host, self.port, hostname, timeout=self.timeout)
            conn.ehlo_or_helo_if_needed()
            secure = self.implicit_tls or self._upgrade(conn)
            if self.username:
                if not secure and not self.allow_insecure_auth:
                    raise _SessionError(
                        wire.temporary(
                            None,
                            "refusing to send credentials without TLS: the server did not "
                            "offer STARTTLS (set allow_insecure_auth=true only for a trusted "
                            "local relay)",
                        )
                    )
                conn.login(self.username, self.password)
            log.info("connected to relay %s:%s (TLS %s, %s)", self.host, self.port,
                     "yes" if secure else "no",
                     "authenticated" if self.username else "no authentication")
            return conn
        except _SessionError:
            self._discard(conn)
            raise
        except ssl.SSLCertVerificationError as error:
            self._discard(conn)
            raise _SessionError(
                wire.temporary(
                    None,
                    f"TLS certificate of {self.host} not trusted: {error.verify_message}; "
                    "give the relay's CA with cafile=/path/ca.pem",
                )
            ) from None
        except smtplib.SMTPResponseException as error:
            self._discard(conn)
            result = wire.from_reply(error.smtp_code, _text(error.smtp_error))
            raise _SessionError(wire.temporary(error.smtp_code, result.reply)) from None
        except (smtplib.SMTPException, OSError) as error:
            self._discard(conn)
            reason = str(error) or type(error).__name__
            raise _SessionError(
                wire.temporary(None, f"cannot connect to {self.host}:{self.port}: {reason}")
            ) from None

    def _upgrade(self, conn: smtplib.SMTP) -> bool:
        if self.starttls is StartTLS.OFF:
            return False
        if not conn.has_extn("starttls"):
            if self.starttls is StartTLS.REQUIRED:
                raise _SessionError(
                    wire.temporary(
                        None, f"{self.host} does not offer STARTTLS and starttls=required"
                    )
                )
            return False
        conn.starttls(context=self._tls())
        conn.ehlo()
        return True

    def _tls(self) -> ssl.SSLContext:
        if self._context is None:
            self._context = ssl.create_default_context(cafile=self.cafile)
        return self._context

    def _drop(self, *, polite: bool = False) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and polite:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                conn.quit()
        self._discard(conn)

    @staticmethod
    def _discard(conn: smtplib.SMTP | None) -> None:
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()
