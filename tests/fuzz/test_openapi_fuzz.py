"""Generated requests for every documented operation of every service, through the gateway.

For each service's OpenAPI document (`<gateway>/<prefix>/openapi.json`) schemathesis
generates valid and invalid requests, sent with the Bearer token of a fresh user. No
answer may be a 5xx; successes must match the documented status codes, content type
and schema; errors must be problem documents.

`WLT_FUZZ_EXAMPLES` sets the examples per operation and generation mode (default 5,
about a minute for the six services; `make fuzz` sets it to 200).

Errors are documented as `application/problem+json` (servicekit's `ServiceApi`), so
content-type and schema conformance are checked on every answer, errors included.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.helpers import another_loopback_address, client_from, sign_up

EXAMPLES = int(os.environ.get("WLT_FUZZ_EXAMPLES", "5"))
PREFIXES = ["/auth", "/users", "/watchlists", "/friends", "/friendswatchlists", "/mediastatistics"]
PROBLEM = "application/problem+json"


class Finding(AssertionError):
    pass


@schemathesis.check
def no_server_error(ctx, response, case):
    """No 5xx, whatever was sent."""
    return not_a_server_error(ctx, response, case)


@schemathesis.check
def conforms_to_the_document(ctx, response, case):
    """Content type and schema conformance of every answer a service made."""
    if response.status_code in (400, 404) and not response.content:
        return None  # an answer of the gateway itself, not of the documented service
    content_type_conformance(ctx, response, case)
    response_schema_conformance(ctx, response, case)
    return None


@schemathesis.check
def error_is_a_problem_document(ctx, response, case):
    """A 4xx answer made by a service is an RFC 9457 problem document."""
    if not 400 <= response.status_code < 500:
        return None
    content_type = response.headers.get("content-type", [""])[0]
    if response.status_code in (400, 404) and not response.content:
        return None  # the gateway's own refusal of a path it does not route (empty body)
    if not content_type.startswith(PROBLEM):
        raise Finding(f"{response.status_code} answered as {content_type!r}, not {PROBLEM}")
    body = response.json()
    if body.get("status") != response.status_code or not body.get("title"):
        raise Finding(f"problem document {body} does not match status {response.status_code}")
    return None


CHECKS = [
    no_server_error,
    status_code_conformance,
    conforms_to_the_document,
    error_is_a_problem_document,
]


def fuzz_operation(operation, mode, base_url: str, headers: dict, session) -> str | None:
    """Run one operation in one generation mode; the failure report, or None."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        report_multiple_bugs=False,
    )
    def run(case):
        response = case.call(base_url=base_url, headers=headers, session=session, timeout=10)
        case.validate_response(response, checks=CHECKS, headers=headers)

    try:
        run()
    except Exception as exc:  # noqa: BLE001 - collect every operation's finding
        text = "\n".join(line[:300] for line in str(exc).splitlines())
        return f"{operation.label} [{mode.value}]:\n{text[:3000]}"
    return None


@pytest.mark.parametrize("prefix", PREFIXES)
def test_generated_requests_never_break_a_service(gateway, prefix):
    user = sign_up(gateway, "Fuzzer")
    schema = schemathesis.openapi.from_url(f"{gateway}{prefix}/openapi.json", timeout=10)
    headers = {"Authorization": f"Bearer {user.token}"}
    # Fuzzed sign-ins fail; from a loopback address of its own the fuzzer never throttles
    # the sign-ins of other tests (the auth service counts failures per client address).
    session = client_from(another_loopback_address())
    findings = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, f"{prefix}: no operations documented"
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            finding = fuzz_operation(operation, mode, gateway, headers, session)
            if finding:
                findings.append(finding)
    assert not findings, "\n\n".join(findings)
