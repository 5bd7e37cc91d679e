"""Property-based tests of the API against its own OpenAPI document (schemathesis).

Generated requests, valid and invalid, go to every operation through the WSGI
app; each answer must be documented, match its schema, and never be a 500.
(Driven with Hypothesis directly: schemathesis' pytest plugin does not run on
pytest 9 yet.)
"""

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402

from summit.auth.api_tokens import create_api_token  # noqa: E402

MODES = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]


@pytest.fixture
def scene(app, make_staff, make_registration):
    """A real event with a confirmed ticket, so generated scans reach the service."""
    registration = make_registration()
    _row, token = create_api_token(make_staff("checkin"), actor="test")
    return {
        "schema": schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app),
        "headers": {"Authorization": f"Bearer {token}"},
        "slug": registration.event.slug,
    }


def _operations():
    from summit.api.views import openapi_document

    document = openapi_document()
    methods = {"get", "put", "post", "patch", "delete"}  # a path item also lists parameters
    return [
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in methods
    ]


@pytest.mark.parametrize("mode", MODES, ids=lambda mode: mode.value)
@pytest.mark.parametrize(("path", "method"), _operations())
def test_every_operation_matches_its_document(scene, path, method, mode):
    schema = scene["schema"]
    operation = schema[path][method.upper()]
    strategy = operation.as_strategy(generation_mode=mode)

    @given(case=strategy)
    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        if case.path_parameters and "slug" in case.path_parameters:
            case.path_parameters["slug"] = scene["slug"]
        negated_auth = schema.is_security_param_negated(case)
        # call_and_validate raises on any mismatch with the document; on top of it,
        # the rule in plain words: schema violations are 4xx, never 500.
        response = case.call_and_validate(headers=None if negated_auth else scene["headers"])
        assert response.status_code < 500, response.text

    check()


def test_the_document_is_valid_openapi_3_1(app):
    """Checked against the OpenAPI 3.1 meta-schema (raises on any violation)."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    assert schema.raw_schema["openapi"] == "3.1.0"
    schema.validate()
