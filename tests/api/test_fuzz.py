"""Fuzzing the API from its own OpenAPI schema (schemathesis), as every role.

For each operation and each persona (applicant, mediator, agent, supervisor,
anonymous), Hypothesis generates requests, valid and not, from
``/api/v1/schema/``. Every answer must be documented (status, content type,
body shape), no answer may be a 5xx, and every error must be ``{code,
detail}``. Bounded: a few examples per operation and persona, so the whole
file runs in about a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from accounts.services import api_token_create
from tests import factories

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

EXAMPLES_PER_OPERATION = 50
ROLES = ("applicant", "mediator", "agent", "supervisor", "anonymous")


@pytest.fixture(autouse=True)
def _requests_keep_the_test_connection():
    """Requests go straight to the WSGI application, not through Django's test
    client, which is what usually stops the end of a request from closing the
    test's database connection (and its transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _served(application):
    """The application as a web server calls it: werkzeug's test client sets no
    REMOTE_ADDR, and a request without a client address is refused (core/client.py)."""

    def app(environ, start_response):
        return application({"REMOTE_ADDR": "127.0.0.1", **environ}, start_response)

    return app


@pytest.fixture
def api_schema(db):
    return schemathesis.openapi.from_wsgi(
        "/api/v1/schema/?format=json", _served(get_wsgi_application())
    )


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def personas(db) -> dict[str, dict[str, str]]:
    """Each persona's headers, with a little world to act on: a site, a
    procedure and a few slots, so that valid requests can meet real rows."""
    site = factories.SiteFactory(slug="bobigny")
    procedure = factories.ProcedureFactory(slug="renouvellement")
    factories.SlotFactory.create_batch(3, site=site, procedure=procedure)
    users = {
        "applicant": factories.ApplicantFactory().user,
        "mediator": factories.MediatorFactory(),
        "agent": factories.AgentFactory(sites=[site]),
        "supervisor": factories.UserFactory(role="supervisor"),
    }
    headers = {"anonymous": {}}
    for role, user in users.items():
        _token, key = api_token_create(user=user)
        headers[role] = {"Authorization": f"Token {key}"}
    assert set(headers) == set(ROLES)
    return headers


def _error_is_code_and_detail(response) -> None:
    if response.status_code < 400:
        return
    body = response.json()
    assert isinstance(body, dict), f"error body is not an object: {body!r}"
    assert isinstance(body.get("code"), str) and body["code"], f"no code: {body!r}"
    assert isinstance(body.get("detail"), str), f"no detail: {body!r}"


CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
    unsupported_method,
)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_every_generated_request_as_documented(case, personas):
    for role in ROLES:
        response = case.call(headers={**(case.headers or {}), **personas[role]})

        try:
            case.validate_response(response, checks=list(CHECKS))
            _error_is_code_and_detail(response)
        except AssertionError as failure:
            failure.add_note(f"as {role}")
            raise
