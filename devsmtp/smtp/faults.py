"""Deterministic fault injection: rules that make the SMTP server misbehave.

A rule fires at one ``stage`` (``connect``, ``mail``, ``rcpt`` or ``data``),
optionally only for a recipient (``to``; an address or ``@domain``) or a sender
(``from``), and only for its first ``times`` matching attempts. Firing means:
wait ``delay`` seconds, then answer ``code`` (421/451/452/550/552/554), or close
the connection (``disconnect``; at ``data`` this happens after the ``354``, in
the middle of the client's data), or, with neither, carry on normally. Rules are
checked in the order they were added; the first applicable one fires.

A rule with ``"action": "bounce"`` (stage ``data``, implied) instead accepts the
message with 250 and stores it, then sends an RFC 3464 delivery status
notification (``status``, ``diagnostic``) to the envelope sender through the
server's bounce relay (``--bounce-relay``), as a relay does that accepts mail
and finds out later that it cannot be delivered (:mod:`devsmtp.smtp.bounce`).
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, cast

from ..envelope import domain_of, fold
from ..errors import FaultNotFound, FaultRuleInvalid

__all__ = ["ACTIONS", "CODES", "STAGES", "FaultRule", "Faults"]

Stage = Literal["connect", "mail", "rcpt", "data"]
STAGES: tuple[Stage, ...] = ("connect", "mail", "rcpt", "data")
CODES: Mapping[int, str] = {
    421: "4.3.2 Service not available, closing channel",
    451: "4.3.0 Requested action aborted: local error in processing",
    452: "4.3.1 Insufficient system storage",
    550: "5.1.1 Mailbox unavailable",
    552: "5.3.4 Message size exceeds fixed maximum or storage allocation exceeded",
    554: "5.7.1 Transaction failed",
}
_FIELDS = {"stage", "code", "message", "to", "from", "times", "delay", "disconnect", "action",
           "status", "diagnostic"}
ACTIONS = ("reply", "bounce")
_ENHANCED = re.compile(r"[45]\.\d{1,3}\.\d{1,3}")
#: What a bounce rule says when it is not told: the common "user unknown".
DEFAULT_BOUNCE_STATUS = "5.1.1"
DEFAULT_BOUNCE_DIAGNOSTIC = "550 5.1.1 User unknown"


def _scope_matches(scope: str | None, addresses: Iterable[str]) -> bool:
    if scope is None:
        return True
    wanted = fold(scope)
    if wanted.startswith("@"):
        return any(domain_of(a) == wanted[1:] for a in addresses)
    return any(fold(a) == wanted for a in addresses)


@dataclass(slots=True)
class FaultRule:
    """One installed rule; ``fired`` counts the attempts it has answered."""

    id: str
    stage: Stage
    code: int | None = None
    message: str | None = None
    to: str | None = None
    sender: str | None = None
    times: int | None = None
    delay: float = 0.0
    disconnect: bool = False
    #: ``reply`` (answer ``code``, disconnect or delay) or ``bounce`` (accept, then a DSN).
    action: str = "reply"
    #: For ``bounce``: the DSN's enhanced status and the remote server's reply.
    status: str | None = None
    diagnostic: str | None = None
    fired: int = 0

    @property
    def reply(self) -> str | None:
        """The SMTP reply line this rule answers with, if it answers."""
        if self.code is None:
            return None
        return f"{self.code} {self.message or CODES[self.code]} (devsmtp fault {self.id})"

    @property
    def bounces(self) -> bool:
        return self.action == "bounce"

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def applies(self, stage: str, sender: str | None, recipients: Sequence[str]) -> bool:
        if self.stage != stage or self.exhausted:
            return False
        if self.sender is not None and not _scope_matches(self.sender, [sender or ""]):
            return False
        return _scope_matches(self.to, recipients)

    def covers(self, recipient: str) -> bool:
        """Whether ``recipient`` is in the rule's ``to`` scope (all when it has none)."""
        return _scope_matches(self.to, [recipient])

    def describe(self) -> str:
        """A line for the session log."""
        if self.bounces:
            return (f"fault {self.id} fired at {self.stage}: accept, then bounce "
                    f"{self.status} ({self.diagnostic})")
        action = self.reply or ("disconnect" if self.disconnect else "continue")
        delay = f" after {self.delay:g}s" if self.delay else ""
        return f"fault {self.id} fired at {self.stage}{delay}: {action}"

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "stage": self.stage,
            "code": self.code,
            "message": self.message,
            "to": self.to,
            "from": self.sender,
            "times": self.times,
            "delay": self.delay,
            "disconnect": self.disconnect,
            "action": self.action,
            "status": self.status,
            "diagnostic": self.diagnostic,
            "fired": self.fired,
            "exhausted": self.exhausted,
        }


def _text(data: Mapping[str, object], name: str) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FaultRuleInvalid(f"'{name}' must be a string")
    return value


def _times(data: Mapping[str, object]) -> int | None:
    times = data.get("times")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise FaultRuleInvalid("'times' must be a whole number >= 1 (or null for always)")
    return times if isinstance(times, int) else None


def _delay(data: Mapping[str, object]) -> float:
    delay = data.get("delay", 0) or 0
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= 600:
        raise FaultRuleInvalid("'delay' must be a number of seconds between 0 and 600")
    return float(delay)


def parse_rule(data: object, id: str) -> FaultRule:
    """Validate one rule from JSON; every error names the field and the fix."""
    if not isinstance(data, Mapping):
        raise FaultRuleInvalid("a rule must be a JSON object")
    unknown = set(data) - _FIELDS
    if unknown:
        raise FaultRuleInvalid(f"unknown field(s) {sorted(unknown)}; allowed: {sorted(_FIELDS)}")
    action = data.get("action") or "reply"
    if action not in ACTIONS:
        raise FaultRuleInvalid(f"'action' must be one of {list(ACTIONS)}, not {action!r}")
    if action == "bounce":
        return _bounce_rule(data, id)
    if data.get("status") is not None or data.get("diagnostic") is not None:
        raise FaultRuleInvalid("'status' and 'diagnostic' go with \"action\": \"bounce\"")
    stage = data.get("stage")
    if stage not in STAGES:
        raise FaultRuleInvalid(f"'stage' must be one of {list(STAGES)}, not {stage!r}")
    code = data.get("code")
    if code is not None and (isinstance(code, bool) or code not in CODES):
        raise FaultRuleInvalid(f"'code' must be one of {sorted(CODES)}, not {code!r}")
    times, delay = _times(data), _delay(data)
    disconnect = data.get("disconnect", False)
    if not isinstance(disconnect, bool):
        raise FaultRuleInvalid("'disconnect' must be true or false")
    if code is not None and disconnect:
        raise FaultRuleInvalid("give either 'code' or 'disconnect', not both")
    if code is None and not disconnect and not delay:
        raise FaultRuleInvalid("give 'code', 'disconnect' or 'delay'")
    to, sender = _text(data, "to"), _text(data, "from")
    if to is not None and stage in ("connect", "mail"):
        raise FaultRuleInvalid(f"'to' cannot scope stage {stage!r}: recipients are not known yet")
    if sender is not None and stage == "connect":
        raise FaultRuleInvalid("'from' cannot scope stage 'connect': the sender is not known yet")
    return FaultRule(
        id=id,
        stage=cast(Stage, stage),
        code=code if isinstance(code, int) else None,
        message=_text(data, "message"),
        to=to,
        sender=sender,
        times=times,
        delay=delay,
        disconnect=disconnect,
    )


def _bounce_rule(data: Mapping[str, object], id: str) -> FaultRule:
    """A bounce rule: stage ``data`` only, no code or disconnect; status and diagnostic."""
    stage = data.get("stage") or "data"
    if stage != "data":
        raise FaultRuleInvalid("a bounce rule acts after DATA: leave out 'stage' or give 'data'")
    if data.get("code") is not None or data.get("disconnect"):
        raise FaultRuleInvalid("a bounce rule accepts the message: no 'code' or 'disconnect'")
    status = _text(data, "status") or DEFAULT_BOUNCE_STATUS
    if not _ENHANCED.fullmatch(status):
        raise FaultRuleInvalid(f"'status' must be an enhanced status code like 5.1.1 or 4.2.2, "
                               f"not {status!r}")
    diagnostic = _text(data, "diagnostic") or (
        DEFAULT_BOUNCE_DIAGNOSTIC if status == DEFAULT_BOUNCE_STATUS
        else f"{'550' if status[0] == '5' else '450'} {status} Delivery failed")
    if len(diagnostic) > 500 or any(ord(c) < 32 or ord(c) == 127 for c in diagnostic):
        raise FaultRuleInvalid("'diagnostic' must be one line of at most 500 characters")
    return FaultRule(id=id, stage="data", to=_text(data, "to"), sender=_text(data, "from"),
                     times=_times(data), delay=_delay(data), action="bounce", status=status,
                     diagnostic=diagnostic, message=_text(data, "message"))


@dataclass
class Faults:
    """The installed rules; safe to change from the API while sessions run."""

    _rules: list[FaultRule] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    #: Where bounce rules send their DSNs (``host:port``); without it they are refused.
    bounce_relay: str | None = None

    def add(self, data: object) -> list[FaultRule]:
        """Install one rule (a JSON object) or several (a list); all or none."""
        items = data if isinstance(data, list) else [data]
        if not items:
            raise FaultRuleInvalid("no rule given")
        with self._lock:
            rules = [parse_rule(item, f"f{next(self._ids)}") for item in items]
            if self.bounce_relay is None and any(rule.bounces for rule in rules):
                raise FaultRuleInvalid(
                    "a bounce rule needs somewhere to send its DSN: start devsmtp with "
                    "--bounce-relay HOST:PORT (the bounce receiver)")
            self._rules.extend(rules)
            return [replace(rule) for rule in rules]

    def list(self) -> list[FaultRule]:
        with self._lock:
            return [replace(rule) for rule in self._rules]

    def remove(self, id: str) -> None:
        with self._lock:
            for index, rule in enumerate(self._rules):
                if rule.id == id:
                    del self._rules[index]
                    return
        raise FaultNotFound(id)

    def clear(self) -> int:
        with self._lock:
            count = len(self._rules)
            self._rules.clear()
            return count

    def fire(
        self, stage: Stage, sender: str | None = None, recipients: Sequence[str] = ()
    ) -> FaultRule | None:
        """The first applicable rule (a copy, after counting this attempt), or None."""
        if not self._rules:  # the common case costs no lock
            return None
        with self._lock:
            for rule in self._rules:
                if rule.applies(stage, sender, recipients):
                    rule.fired += 1
                    return replace(rule)
        return None
