"""Property-based fuzzing of the API from its own OpenAPI schema (schemathesis): whatever is sent, the API never
answers with a 5xx, and every response (status, headers, body) matches what the schema documents.

Bounded for CI: ``MAX_EXAMPLES`` generated requests per operation, as an admin with data present (so admin and
owner paths are exercised, not only the 401s).
"""

from __future__ import annotations

import schemathesis
from schemathesis import checks
from hypothesis import HealthCheck, given, settings

from tests.api.conftest import SeededApi, add_node, make_address

MAX_EXAMPLES = 15
# What the API promises: no 5xx, and status, content type, headers and body as documented. (Schemathesis's
# "positive data acceptance" is left out on purpose: the schema states types and sizes, the services own the
# business rules, e.g. a password's strength, and refuse with a documented 422.)
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_headers_conformance, checks.response_schema_conformance]


def test_api_never_fails_and_matches_its_schema(seeded_api: SeededApi):
    add_node(seeded_api.admin.id, make_address(2))
    auth = seeded_api.admin.headers
    schema = schemathesis.openapi.from_asgi('/api/openapi.json', seeded_api.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 21
    failures: dict[str, str] = {}
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case) -> None:  # noqa: ANN001
            case.headers = {**(case.headers or {}), **auth}
            case.call_and_validate(checks=CHECKS)
        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as e:  # noqa: BLE001 - collect every operation's failure
            failures[operation.label] = f'{type(e).__name__}: {e}'[:2000]
    assert not failures, '\n\n'.join(f'{label}\n{text}' for label, text in failures.items())
