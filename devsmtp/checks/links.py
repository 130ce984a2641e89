"""Every link and image of a message: where it points, whether it answers, its token.

Only loopback hosts (``localhost``, ``127.0.0.0/8``, ``::1``) and hosts named
in ``allow_hosts`` are requested (HEAD, then GET when HEAD is refused; short
timeout; redirects followed only while they stay on such hosts; no proxy
from the environment). Every other URL is listed as *not fetched*: a QA
machine must not send invitation tokens to the internet. ``cid:`` images are
checked against the message's parts, ``data:`` images are inline.

For the invitation link, the token's state is asked of ``checker`` (the
invitation panel's :class:`~devsmtp.web.invitation.InvitationChecker` fits:
signature with the service's keys, state in its store); without one, the
token is only decoded and its expiry compared with now (``verified=False``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import urljoin, urlsplit

from ..mail import InvitationToken, ParsedMail, TokenUnreadable, peek_token
from ._markup import read_html

__all__ = [
    "LinkCheck",
    "LinksReport",
    "TokenChecker",
    "TokenState",
    "check_links",
    "is_loopback_host",
]

DEFAULT_TIMEOUT = 3.0
_MAX_REDIRECTS = 5
_MAX_URLS = 200


class _Verdict(Protocol):
    @property
    def state(self) -> str: ...

    @property
    def detail(self) -> str | None: ...

    @property
    def expires_at(self) -> datetime | None: ...


class _Clock(Protocol):
    def now(self) -> datetime: ...


class TokenChecker(Protocol):
    """What the links check needs to judge a token (``InvitationChecker`` fits)."""

    @property
    def clock(self) -> _Clock: ...

    @property
    def validity(self) -> timedelta: ...

    def check(self, token: str, decoded: InvitationToken | None,
              lang: str) -> _Verdict | None: ...


@dataclass(frozen=True)
class TokenState:
    """An invitation link's token, judged now."""

    #: ``valid``, ``expired``, ``used``, ``revoked``, ``tampered``, ``superseded``,
    #: ``unknown`` (the store does not know it) or ``unreadable`` (not a token).
    state: str
    #: Whether the signature/store were consulted (else only the token was decoded).
    verified: bool
    expires_at: datetime | None = None
    detail: str | None = None

    @property
    def valid(self) -> bool:
        return self.state == "valid"

    def to_dict(self) -> dict[str, object]:
        return {"state": self.state, "valid": self.valid, "verified": self.verified,
                "expires_at": self.expires_at.isoformat() if self.expires_at else None,
                "detail": self.detail}


@dataclass(frozen=True)
class LinkCheck:
    """One URL of the message (links and images are listed separately)."""

    url: str
    #: ``"link"`` or ``"image"``.
    kind: str
    #: Anchor text or image ``alt``.
    text: str = ""
    #: 1-based line of its first use in the HTML part (None: text part only).
    line: int | None = None
    #: Where it appears: ``"html"``, ``"text"`` or both.
    parts: tuple[str, ...] = ()
    #: Whether it starts with the configured base URL (None: no base URL given).
    on_base: bool | None = None
    fetched: bool = False
    status: int | None = None
    #: Whether it answers (HTTP < 400, the cid part exists); None when not fetched.
    ok: bool | None = None
    #: Why it was not fetched, or what went wrong.
    note: str | None = None
    #: The token's state when this is the invitation link.
    token: TokenState | None = None

    @property
    def problems(self) -> list[str]:
        """What is wrong with this URL, for a reader (empty when nothing is)."""
        found: list[str] = []
        if self.ok is False:
            found.append(f"does not answer ({self.status or self.note})")
        if self.on_base is False:
            found.append("is not under the base URL")
        if self.token is not None and not self.token.valid:
            found.append(f"token is {self.token.state}"
                         + (f" ({self.token.detail})" if self.token.detail else ""))
        return found

    def to_dict(self) -> dict[str, object]:
        return {"url": self.url, "kind": self.kind, "text": self.text, "line": self.line,
                "parts": list(self.parts), "on_base": self.on_base, "fetched": self.fetched,
                "status": self.status, "ok": self.ok, "note": self.note,
                "token": self.token.to_dict() if self.token else None,
                "problems": self.problems}


@dataclass(frozen=True)
class LinksReport:
    links: tuple[LinkCheck, ...]
    base_url: str | None = None
    allow_hosts: tuple[str, ...] = field(default_factory=tuple)

    @property
    def failures(self) -> tuple[LinkCheck, ...]:
        return tuple(link for link in self.links if link.problems)

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, object]:
        return {"base_url": self.base_url, "allow_hosts": list(self.allow_hosts),
                "ok": self.ok, "links": [link.to_dict() for link in self.links]}


def is_loopback_host(host: str) -> bool:
    """``localhost``, ``*.localhost``, ``127.0.0.0/8`` and ``::1``."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _allowed(host: str, allow_hosts: Sequence[str]) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    if is_loopback_host(host):
        return True
    for allowed in allow_hosts:
        allowed = allowed.lower().strip()
        if host == allowed or (allowed.startswith(".") and host.endswith(allowed)):
            return True
    return False


def _on_base(url: str, base_url: str | None) -> bool | None:
    if not base_url:
        return None
    if not url.lower().startswith(("http://", "https://")):
        return False
    base, target = urlsplit(base_url), urlsplit(url)
    if (base.scheme.lower(), base.netloc.lower()) != (target.scheme.lower(),
                                                      target.netloc.lower()):
        return False
    prefix = base.path if base.path.endswith("/") else base.path + "/"
    return target.path == base.path or target.path.startswith(prefix) or base.path in ("", "/")


def _collect(mail: ParsedMail) -> list[LinkCheck]:
    """The message's URLs in document order, HTML first, each once per kind."""
    found: dict[tuple[str, str], LinkCheck] = {}
    texts = {link.url: link.text for link in mail.links if link.part == "html"}

    def add(url: str, kind: str, line: int | None, part: str, text: str = "") -> None:
        url = url.strip()
        if not url or len(found) >= _MAX_URLS:
            return
        key = (url, kind)
        seen = found.get(key)
        if seen is None:
            found[key] = LinkCheck(url, kind, text, line, (part,))
        elif part not in seen.parts:
            found[key] = replace(seen, parts=(*seen.parts, part),
                                 line=seen.line if seen.line is not None else line)

    if mail.html:
        for element in read_html(mail.html).elements:
            attrs, line = element.attrs, element.line
            if element.tag in ("a", "area") and "href" in attrs:
                add(attrs["href"], "link", line, "html", texts.get(attrs["href"].strip(), ""))
            if element.tag in ("img", "input") and attrs.get("src"):
                add(attrs["src"], "image", line, "html", attrs.get("alt", ""))
            for candidate in attrs.get("srcset", "").split(","):
                if candidate.strip():
                    add(candidate.strip().split(" ")[0], "image", line, "html")
            if attrs.get("background"):
                add(attrs["background"], "image", line, "html")
    for link in mail.links:
        if link.part == "text":
            add(link.url, "link", None, "text")
    return list(found.values())


def _content_ids(mail: ParsedMail) -> set[str]:
    ids: set[str] = set()
    for part in mail.parts:
        value = part.get("Content-ID")
        if value:
            ids.add(str(value).strip().strip("<>").lower())
    return ids


def _fetch(url: str, allow_hosts: Sequence[str], timeout: float) -> tuple[int | None, str | None]:
    """``(status, note)`` of a HEAD (GET when HEAD is refused), following allowed redirects."""
    import httpx

    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        current = url
        for _ in range(_MAX_REDIRECTS + 1):
            try:
                response = client.head(current)
                if response.status_code in (405, 501):
                    with client.stream("GET", current) as streamed:
                        response = streamed
            except httpx.HTTPError as error:
                return None, f"{type(error).__name__}: {error}"
            location = response.headers.get("location")
            if not (response.is_redirect and location):
                return response.status_code, None
            target = urljoin(current, location)
            host = urlsplit(target).hostname or ""
            if not _allowed(host, allow_hosts):
                return response.status_code, f"redirects to {host} (not fetched)"
            current = target
        return None, f"more than {_MAX_REDIRECTS} redirects"


def _judge_token(token: str, checker: TokenChecker | None, lang: str,
                 now: datetime | None) -> TokenState:
    validity_days = checker.validity.total_seconds() / 86400 if checker else 7.0
    try:
        decoded: InvitationToken | None = peek_token(token, validity_days=validity_days)
    except TokenUnreadable:
        decoded = None
    if checker is not None:
        verdict = checker.check(token, decoded, lang)
        if verdict is not None:
            expires = verdict.expires_at or (decoded.expires_at if decoded else None)
            return TokenState(verdict.state, True, expires, verdict.detail)
        now = now or checker.clock.now()
    if decoded is None:
        return TokenState("unreadable", False, None, "not a token devsmtp can decode")
    now = now or datetime.now(UTC)
    state = "valid" if decoded.expires_at > now else "expired"
    return TokenState(state, False, decoded.expires_at, "signature and store not checked")


def check_links(
    mail: ParsedMail | bytes,
    *,
    base_url: str | None = None,
    allow_hosts: Sequence[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
    checker: TokenChecker | None = None,
    lang: str = "en",
    now: datetime | None = None,
) -> LinksReport:
    """Check every link and image of ``mail`` (a parsed mail or its raw bytes).

    ``base_url``: the address the service's links should start with.
    ``allow_hosts``: host names besides loopback that may be requested
    (``".example.test"`` allows its subdomains). ``checker`` judges the
    invitation link's token; ``lang`` is the language of its messages.
    """
    parsed = mail if isinstance(mail, ParsedMail) else ParsedMail(mail)
    found = _collect(parsed)
    invitation = parsed.find_invitation()
    cids = _content_ids(parsed)
    allowed = tuple(allow_hosts)

    def one(item: LinkCheck) -> LinkCheck:
        url = item.url
        scheme = urlsplit(url).scheme.lower()
        on_base = _on_base(url, base_url) if item.kind == "link" and scheme in (
            "http", "https") else None
        token = (_judge_token(invitation[1], checker, lang, now)
                 if invitation and url == invitation[0] else None)
        checked = replace(item, on_base=on_base, token=token)
        if scheme in ("http", "https"):
            host = urlsplit(url).hostname or ""
            if not _allowed(host, allowed):
                return replace(checked, note=f"not fetched: {host} is neither loopback "
                                             "nor an allowed host")
            status, note = _fetch(url, allowed, timeout)
            return replace(checked, fetched=True, status=status,
                           ok=status is not None and status < 400, note=note)
        if scheme == "cid":
            present = url[4:].strip("<>").lower() in cids
            return replace(checked, ok=present,
                           note=None if present else "no part has this Content-ID")
        if scheme == "data":
            return replace(checked, note="inline data")
        if scheme in ("mailto", "tel", "sms"):
            return replace(checked, note=f"{scheme} address (not fetched)")
        if url.startswith("#"):
            return replace(checked, note="anchor in the message")
        return replace(checked, ok=False, note="not an absolute URL: mail clients cannot "
                                               "resolve it")

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = tuple(pool.map(one, found))
    return LinksReport(results, base_url, allowed)
