"""While the database is out of reach, clients get 503 and a clear message,
never a 500: nothing was half-done, and a retry a moment later succeeds."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.db import InterfaceError, OperationalError, connection

from booking.models import Slot

pytestmark = pytest.mark.django_db


@contextmanager
def database_down(error: type[Exception] = OperationalError):
    def refuse(execute, sql, params, many, context):
        raise error("server closed the connection unexpectedly")

    with connection.execute_wrapper(refuse):
        yield


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_api_answers_503_json_while_the_database_is_down(applicant_api, error):
    with database_down(error):
        response = applicant_api.get("/api/v1/sites/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "code": "service_unavailable",
        "detail": "Le service est momentanément indisponible. Réessayez dans un instant.",
    }


def test_booking_while_the_database_is_down_is_503_and_changes_nothing(applicant_api, slot):
    with database_down():
        response = applicant_api.post("/api/v1/appointments/", {"slot": slot.pk}, format="json")

    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert Slot.objects.get(pk=slot.pk).booked == 0


def test_api_serves_again_once_the_database_is_back(applicant_api):
    with database_down():
        assert applicant_api.get("/api/v1/sites/").status_code == 503

    assert applicant_api.get("/api/v1/sites/").status_code == 200


def test_a_page_answers_a_503_page_while_the_database_is_down(client, applicant_user, procedure):
    client.force_login(applicant_user)
    with database_down():
        response = client.get("/book/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    assert "Service momentanément indisponible" in response.content.decode()


def test_the_schema_documents_503(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()

    assert schema["paths"]["/api/v1/appointments/"]["post"]["responses"]["503"]


# --- Redis (the shared cache: rate limits, availability answers) ---------------------


@pytest.fixture
def redis_down(settings):
    """The cache is a Redis that refuses connections (nothing listens there)."""
    import socket

    with socket.socket() as probe:  # a free port, closed again: connections are refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 1},
        }
    }
    settings.GUICHET_AVAILABILITY_CACHE_SECONDS = 1


def test_availability_while_redis_is_down_is_503_json(applicant_api, slot, redis_down):
    response = applicant_api.get("/api/v1/availability/", {"procedure": slot.procedure.slug})

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "service_unavailable"


def test_booking_while_redis_is_down_is_503_and_changes_nothing(applicant_api, slot, redis_down):
    """The rate limit cannot be counted: the request is refused, not let through."""
    response = applicant_api.post("/api/v1/appointments/", {"slot": slot.pk}, format="json")

    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert Slot.objects.get(pk=slot.pk).booked == 0


def test_a_login_while_redis_is_down_gets_the_503_page(client, applicant_user, redis_down):
    response = client.post(
        "/accounts/login/", {"username": applicant_user.email, "password": "whatever-123"}
    )

    assert response.status_code == 503
    assert "Service momentanément indisponible" in response.content.decode()
