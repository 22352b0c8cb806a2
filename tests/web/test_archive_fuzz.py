"""Property-based fuzzing of the archive API with schemathesis, from our own OpenAPI schema.

Every operation under ``/archive`` gets a bounded number of generated requests (valid and
edge-case parameters, random documents) against a real server. Each answer must be no
5xx, have a status and a content type the schema declares, and a body that matches the
declared schema. The archive holds a small pipeline so that ids sometimes exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis  # in the dev extra: a missing fuzzer fails, it does not skip

from provarchive import formats
from tests.web.archive_support import chain_document, running
from tests.web.conftest import Server

#: Generated requests per operation (8 operations: about 15 s in all).
EXAMPLES = 30


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running(tmp_path_factory.mktemp("fuzz"), None, "[service]\nmax_upload_bytes = 100000\n") as server:
        body = formats.dumps(chain_document("fuzz", steps=2), "PROV-JSON")
        assert httpx.post(f"{server.url}/archive/documents", content=body, timeout=30).status_code == 201
        yield server


def test_archive_api_answers_every_generated_request_within_its_schema(fuzzed_server: Server, tmp_path: Path) -> None:
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    schema = schemathesis.openapi.from_url(f"{fuzzed_server.url}/openapi.json").include(path_regex="^/archive/")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 8
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def call(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(checks=checks, timeout=30)

        call()
