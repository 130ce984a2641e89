"""A small synchronous client for devsmtp's JSON API, for tests and tools."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Self

import httpx

from ..envelope import Envelope
from ..errors import DevSMTPError, ServerUnreachable
from .mail import CapturedMail

__all__ = ["DevSMTPClient", "seq_of"]


def seq_of(summary: Mapping[str, Any]) -> int:
    """The message's place in the server's monotonic sequence (its id)."""
    return int(summary.get("seq", summary.get("id", 0)))


class DevSMTPClient:
    """A small synchronous client for devsmtp's JSON API (``/api/...``)."""

    def __init__(self, api_url: str, *, timeout: float = 10.0) -> None:
        self.api_url = api_url.rstrip("/")
        base = self.api_url if self.api_url.endswith("/api") else self.api_url + "/api"
        self._http = httpx.Client(base_url=base, timeout=timeout, trust_env=False)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ServerUnreachable(f"{self.api_url}: {exc}") from exc

    def _json(self, response: httpx.Response) -> Any:
        if response.is_error:
            raise DevSMTPError(
                f"{response.request.method} {response.request.url} answered "
                f"{response.status_code}: {response.text[:300]}"
            )
        return response.json()

    def summaries(self, *, limit: int = 500, **filters: Any) -> list[dict[str, Any]]:
        """Summaries, newest first; filters: to, from_, subject, q, after."""
        params = {k.rstrip("_"): v for k, v in filters.items() if v is not None}
        out: list[dict[str, Any]] = []
        cursor: Any = None
        while len(out) < limit:
            page_params = dict(params, limit=min(limit - len(out), 200))
            if cursor is not None:
                page_params["before"] = cursor
            body = self._json(self._request("GET", "/messages", params=page_params))
            out.extend(body.get("messages", []))
            cursor = body.get("next")
            if not cursor or not body.get("messages"):
                break
        return out

    def _json_ok(self, response: httpx.Response) -> None:
        if response.is_error:
            self._json(response)

    def detail(self, message_id: int | str) -> dict[str, Any]:
        """``GET /api/messages/{id}``: summary, headers, text, HTML, links, envelope."""
        result: dict[str, Any] = self._json(self._request("GET", f"/messages/{message_id}"))
        return result

    def raw(self, message_id: int | str) -> bytes:
        """The exact bytes the server received in DATA."""
        response = self._request("GET", f"/messages/{message_id}/raw")
        self._json_ok(response)
        return response.content

    def fetch(self, summary: Mapping[str, Any]) -> CapturedMail:
        """Download the exact bytes behind a summary."""
        message_id = str(summary["id"])
        env = summary.get("envelope") or {}
        mail_from = env.get("mail_from", summary.get("mail_from", summary.get("from", "")))
        rcpts = env.get("rcpt_to", summary.get("to", []))
        return CapturedMail(self.raw(message_id), id=message_id, seq=seq_of(summary),
                            envelope=Envelope(str(mail_from or ""), tuple(rcpts or ())))

    def last_seq(self) -> int:
        """The sequence number of the newest stored message (0 when empty)."""
        body = self._json(self._request("GET", "/messages", params={"limit": 1}))
        messages = body.get("messages") or [{}]
        return int(body.get("latest") or seq_of(messages[0]))

    def wait(self, *, to: str | None = None, subject: str | None = None,
             after: int | None = None, count: int = 1, timeout: float = 5.0
             ) -> tuple[list[dict[str, Any]], bool]:
        """Hold until ``count`` matching messages are stored (the server pushes).

        Returns the matching summaries (already stored ones count) and whether
        there were enough; on the server's 408 the list holds what did match.
        """
        params = {"to": to, "subject": subject, "after": after, "count": count,
                  "timeout": timeout}
        response = self._request(
            "GET", "/wait", params={k: v for k, v in params.items() if v is not None},
            timeout=timeout + 10,
        )
        complete = response.status_code != 408
        body = self._json(response) if complete else response.json()
        messages = body.get("messages", [])
        return [dict(item) for item in messages], complete and bool(messages)

    def delete(self, *, to: str | None = None) -> None:
        """Delete every message, or one inbox's (``to`` an address or ``@domain``)."""
        self._json_ok(self._request("DELETE", "/messages", params={"to": to} if to else None))

    def add_faults(self, rules: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Install fault rules (``PUT /api/faults``); returns them with their ids."""
        body = self._json(self._request("PUT", "/faults", json={"rules": list(rules)}))
        stored = body.get("rules", body) if isinstance(body, Mapping) else body
        return list(stored)

    def faults(self) -> list[dict[str, Any]]:
        """The installed fault rules, with how often each has fired."""
        body = self._json(self._request("GET", "/faults"))
        return list(body.get("rules", []) if isinstance(body, Mapping) else body)

    def clear_faults(self, ids: Sequence[str] | None = None) -> None:
        """Remove the rules ``ids``, or every rule when ``ids`` is None."""
        if ids is None:
            self._json_ok(self._request("DELETE", "/faults"))
        for rule_id in ids or ():
            self._json_ok(self._request("DELETE", f"/faults/{rule_id}"))
