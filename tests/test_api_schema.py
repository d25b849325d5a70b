"""The whole HTTP API from its own OpenAPI schema: schemathesis generates requests for
every operation (valid and invalid bodies, odd ids, out-of-range numbers) against a
real `mda serve` and a real worker. No input makes the API fail with a 500, every
error is one JSON line, and each success matches its documented model.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from api_harness import ApiServer

EXAMPLES = 20
"""Generated requests per operation: enough to reach each kind of bad input."""


def test_no_generated_request_makes_the_api_fail(api: ApiServer) -> None:
    schema = schemathesis.openapi.from_url(f"{api.url}/openapi.json")
    results = list(schema.get_all_operations())
    assert all(isinstance(result, Ok) for result in results), "the schema does not parse"
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) > 20
    tried: list[str] = []
    for operation in operations:
        if operation.path.endswith("/stream"):
            continue  # a stream of something that exists never ends; the tests follow one

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            response = case.call_and_validate(
                base_url=api.url,
                checks=[not_a_server_error, response_schema_conformance],
                timeout=60,
            )
            if response.status_code >= 400:
                body = response.json()
                assert set(body) == {"error"} and "\n" not in body["error"], body

        check()
        tried.append(f"{operation.method.upper()} {operation.path}")
    assert "POST /api/runs/{run}/approve" in tried and "POST /api/sessions" in tried
