"""A message's SpamAssassin score, offline: ``spamassassin -L -t`` or ``spamc`` to a spamd.

:func:`spam_score` runs SpamAssassin's local tests only (``-L``: no DNS
blocklists, no Razor/Pyzor, nothing leaves the machine), with Bayes and
auto-learning off so a score depends on the message alone, and parses the
report table (points, rule name, description). ``spamc`` is used instead when
a spamd address is given (``spamd="127.0.0.1:783"``, or ``DEVSMTP_SPAMD`` in
the environment). When neither is installed the report says so
(``available=False`` with a reason); it never raises for that.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass

__all__ = ["DEFAULT_MAX_SIZE", "DEFAULT_TIMEOUT", "SpamReport", "SpamRule", "spam_score"]

#: Seconds one check may take (SpamAssassin starts in about 1-2 s).
DEFAULT_TIMEOUT = 30.0
#: Larger messages are not checked (SpamAssassin's own spamc default is 500 KiB).
DEFAULT_MAX_SIZE = 512 * 1024

#: Settings that make a score depend on the message alone.
_SETTINGS = ("use_bayes 0", "bayes_auto_learn 0", "use_auto_whitelist 0", "use_txrep 0")


@dataclass(frozen=True)
class SpamRule:
    """One SpamAssassin rule the message hit."""

    name: str
    points: float
    description: str

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "points": self.points, "description": self.description}


@dataclass(frozen=True)
class SpamReport:
    """What SpamAssassin said, or why it could not be asked."""

    available: bool
    score: float | None = None
    threshold: float | None = None
    rules: tuple[SpamRule, ...] = ()
    #: Why there is no score (not installed, too large, timed out, failed).
    reason: str | None = None
    #: ``"spamassassin"`` or ``"spamc"``.
    engine: str | None = None
    seconds: float | None = None

    @property
    def is_spam(self) -> bool | None:
        if self.score is None or self.threshold is None:
            return None
        return self.score >= self.threshold

    def to_dict(self) -> dict[str, object]:
        return {"available": self.available, "score": self.score, "threshold": self.threshold,
                "is_spam": self.is_spam, "rules": [rule.to_dict() for rule in self.rules],
                "reason": self.reason, "engine": self.engine, "seconds": self.seconds}


_DETAILS = re.compile(r"Content analysis details:\s+\((-?[\d.]+) points, (-?[\d.]+) required\)")
_SPAMC_SCORE = re.compile(r"^\s*(-?[\d.]+)/(-?[\d.]+)\s*$", re.MULTILINE)
_RULE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)\s+(.*?)\s*$")
_CONTINUED = re.compile(r"^\s{20,}(\S.*?)\s*$")


def parse_report(text: str) -> tuple[float | None, float | None, tuple[SpamRule, ...]]:
    """``(score, threshold, rules)`` from SpamAssassin's report text."""
    score = threshold = None
    match = _DETAILS.search(text) or _SPAMC_SCORE.search(text)
    if match:
        score, threshold = float(match.group(1)), float(match.group(2))
    rules: list[SpamRule] = []
    table = text[match.end() if match else 0:].split("---- ----------------------", 1)
    if len(table) == 2:
        for line in table[1].splitlines()[1:]:
            rule = _RULE.match(line)
            if rule:
                rules.append(SpamRule(rule.group(2), float(rule.group(1)), rule.group(3)))
                continue
            more = _CONTINUED.match(line)
            if more and rules:
                last = rules[-1]
                rules[-1] = SpamRule(last.name, last.points,
                                     f"{last.description} {more.group(1)}".strip())
                continue
            if line.strip() and not line.startswith(" "):
                break  # the report ends where the original message begins
    return score, threshold, tuple(rules)


def _command(spamd: str | None) -> tuple[list[str], str] | str:
    """The command to run and the engine name, or why none can run."""
    if spamd:
        spamc = shutil.which("spamc")
        if spamc is None:
            return f"spamc is not installed (needed for spamd at {spamd})"
        host, _, port = spamd.rpartition(":")
        if not host or not port.isdigit():
            return f"spamd address {spamd!r} is not host:port"
        return [spamc, "-d", host.strip("[]"), "-p", port, "-R", "-x"], "spamc"
    spamassassin = shutil.which("spamassassin")
    if spamassassin is None:
        return "SpamAssassin is not installed (Debian: apt-get install spamassassin)"
    args = [spamassassin, "-L", "-t", "-x"]
    for setting in _SETTINGS:
        args += ["--cf", setting]
    return args, "spamassassin"


def spam_score(raw: bytes, *, timeout: float = DEFAULT_TIMEOUT,
               max_size: int = DEFAULT_MAX_SIZE, spamd: str | None = None) -> SpamReport:
    """SpamAssassin's verdict on the message ``raw`` (its exact bytes).

    ``spamd`` (``host:port``, default ``$DEVSMTP_SPAMD``) asks a running spamd
    through ``spamc``; otherwise ``spamassassin -L -t`` runs once. At most
    ``timeout`` seconds; messages over ``max_size`` bytes are not checked.
    """
    spamd = spamd or os.environ.get("DEVSMTP_SPAMD") or None
    found = _command(spamd)
    if isinstance(found, str):
        return SpamReport(False, reason=found)
    args, engine = found
    if len(raw) > max_size:
        return SpamReport(False, reason=f"message is {len(raw)} bytes, over the "
                                        f"{max_size}-byte limit of the spam check",
                          engine=engine)
    started = time.monotonic()
    try:
        done = subprocess.run(args, input=raw, capture_output=True, timeout=timeout,
                              check=False, env={**os.environ, "LC_ALL": "C"})
    except subprocess.TimeoutExpired:
        return SpamReport(False, reason=f"{engine} took longer than {timeout:g} s",
                          engine=engine)
    except OSError as error:
        return SpamReport(False, reason=f"{engine} could not run: {error}", engine=engine)
    seconds = round(time.monotonic() - started, 3)
    text = done.stdout.decode("utf-8", "replace")
    score, threshold, rules = parse_report(text)
    if score is None:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return SpamReport(False, reason=f"{engine} exited {done.returncode} without a score"
                                        + (f": {detail[-1]}" if detail else ""),
                          engine=engine, seconds=seconds)
    return SpamReport(True, score, threshold, rules, None, engine, seconds)
