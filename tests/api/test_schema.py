from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command


def test_schema_generates_without_warnings_and_validates(tmp_path):
    target = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    schema = yaml.safe_load(target.read_text())
    assert {"Error", "ValidationError"} <= set(schema["components"]["schemas"])
    assert set(schema["paths"]) == {
        "/api/v1/auth/token/",
        "/api/v1/auth/tokens/",
        "/api/v1/auth/tokens/{token_id}/",
        "/api/v1/sites/",
        "/api/v1/procedures/",
        "/api/v1/availability/",
        "/api/v1/appointments/",
        "/api/v1/appointments/{reference}/",
        "/api/v1/appointments/{reference}/convocation.pdf",
        "/api/v1/appointments/{reference}/cancel/",
        "/api/v1/appointments/{reference}/reschedule/",
        "/api/v1/agent/publications/",
        "/api/v1/agent/day/",
        "/api/v1/agent/checkins/",
        "/api/v1/agent/appointments/{reference}/done/",
        "/api/v1/agent/no-shows/",
        "/api/v1/agent/closures/",
        "/api/v1/agent/closures/{id}/lift/",
        "/api/v1/agent/injunctions/",
        "/api/v1/agent/injunctions/{injunction_id}/",
        "/api/v1/agent/injunctions/{injunction_id}/convocation/",
        "/api/v1/agent/publications/preview/",
        "/api/v1/agent/calendar/",
        "/api/v1/agent/slots/{id}/",
        "/api/v1/agent/slots/move/",
        "/api/v1/agent/dashboard/",
        "/api/v1/agent/people/",
        "/api/v1/substitution-requests/",
        "/api/v1/substitution-requests/{tracking}/",
        "/api/v1/challenge/",
        "/api/v1/identity/claim/",
        "/api/v1/mediation/applicants/",
        "/api/v1/mediation/applicants/{applicant_id}/consents/",
        "/api/v1/mediation/applicants/{applicant_id}/consents/{consent_id}/",
        # The waiting list and its offers
        "/api/v1/waitlist/",
        "/api/v1/waitlist/{id}/",
        "/api/v1/waitlist/{id}/resume/",
        "/api/v1/offers/",
        "/api/v1/offers/{id}/",
        "/api/v1/offers/{id}/accept/",
        "/api/v1/offers/{id}/decline/",
        # Fair allocation: transparency
        "/api/v1/transparency/",
        # Fair allocation: suspensions
        "/api/v1/agent/suspensions/",
        "/api/v1/agent/accounts/{user_id}/suspend/",
        "/api/v1/agent/accounts/{user_id}/lift/",
    }


def test_schema_documents_the_error_shape_of_booking():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)

    responses = schema["paths"]["/api/v1/appointments/"]["post"]["responses"]
    assert set(responses) == {"201", "400", "401", "403", "404", "409", "415", "429", "503"}
    error = {"$ref": "#/components/schemas/Error"}
    assert responses["409"]["content"]["application/json"]["schema"] == error
    assert "slot_full" in responses["409"]["description"]


def test_schema_documents_the_convocation_as_a_pdf_or_a_json_error():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)

    responses = schema["paths"]["/api/v1/appointments/{reference}/convocation.pdf"]["get"][
        "responses"
    ]
    assert set(responses) == {"200", "401", "404", "429", "503"}
    assert responses["200"]["content"] == {
        "application/pdf": {"schema": {"type": "string", "format": "binary"}}
    }
    error = {"$ref": "#/components/schemas/Error"}
    assert responses["404"]["content"]["application/json"]["schema"] == error
    assert "appointment_not_found" in responses["404"]["description"]


@pytest.mark.django_db
def test_schema_is_served_to_anyone(anonymous_api):
    response = anonymous_api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Guichet API"


@pytest.mark.django_db
def test_swagger_ui_is_self_hosted(anonymous_api):
    response = anonymous_api.get("/api/v1/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    # The start-up script comes from the page's own URL (no inline script: CSP).
    script = anonymous_api.get("/api/v1/docs/?script=").content.decode()
    assert "/api/v1/schema/" in script
    assert "cdn.jsdelivr.net" not in html


def test_schema_documents_the_suspension_api(tmp_path):
    """The suspension API's operations, their body and every refusal's code."""
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(target))
    paths = yaml.safe_load(target.read_text())["paths"]

    suspend = paths["/api/v1/agent/accounts/{user_id}/suspend/"]["post"]
    assert suspend["operationId"] == "agent_account_suspend"
    assert {"200", "400", "401", "403", "404", "409", "429"} <= set(suspend["responses"])
    assert "supervisors_only" in suspend["responses"]["403"]["description"]
    assert "account_not_suspendable" in suspend["responses"]["403"]["description"]
    assert "account_already_suspended" in suspend["responses"]["409"]["description"]
    assert "suspension_reason_invalid" in suspend["responses"]["400"]["description"]
    lift = paths["/api/v1/agent/accounts/{user_id}/lift/"]["post"]
    assert "account_not_suspended" in lift["responses"]["409"]["description"]
    listed = paths["/api/v1/agent/suspensions/"]["get"]
    assert {"cursor", "page_size"} <= {p["name"] for p in listed["parameters"]}
