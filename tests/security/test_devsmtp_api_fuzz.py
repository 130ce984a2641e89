"""Issue 12, fuzzing: devsmtp's JSON API fed from its own OpenAPI document (Schemathesis).

Every operation gets a bounded, derandomised number of generated requests against a real
devsmtp on 127.0.0.1: no answer may be a 5xx, and every answer's status, content type
and body must be the ones the document declares. ``/api/events`` (a stream),
``/api/wait`` (holds the request) and ``/checks`` (runs SpamAssassin) are left out.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from devsmtp import DevSMTP

from .conftest import devsmtp_mail, devsmtp_send

EXAMPLES = 15
SKIPPED = ("/api/events", "/api/wait", "/api/messages/{id}/checks")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def _operations() -> list[tuple[str, str]]:
    spec = json.loads(resources.files("devsmtp.api").joinpath("openapi.json").read_text())
    return [(method.upper(), path) for path, ops in spec["paths"].items() if path not in SKIPPED
            for method in ops if method in ("get", "put", "post", "delete")]


@pytest.mark.timeout(300)
@pytest.mark.parametrize(("method", "path"), _operations())
def test_api_answers_as_documented(tmp_path: Path, method: str, path: str) -> None:
    spec = json.loads(resources.files("devsmtp.api").joinpath("openapi.json").read_text())
    schema = schemathesis.openapi.from_dict(spec)
    operation = schema[path][method]
    with DevSMTP(tmp_path / "d", relay_allow=("@example.com",)) as server:
        devsmtp_send(server, devsmtp_mail(attachment=("liite.txt", b"data")))
        base_url = server.http_url

        @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=base_url, checks=CHECKS, timeout=30)

        run()


def test_huge_message_id_is_a_bad_request(devsmtp_server: DevSMTP) -> None:
    """Found by the fuzzer: an id beyond SQLite's integers was a 500 (OverflowError)."""
    answer = httpx.get(devsmtp_server.api_url + "/messages/" + "9" * 30)
    assert answer.status_code == 400
    assert answer.json()["error"] == "bad_request"
