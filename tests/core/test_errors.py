"""What a client gets when the server itself fails or the URL is unknown."""

from __future__ import annotations

import json

from django.test import RequestFactory

from core.views import server_error


def test_server_error_under_the_api_is_json():
    response = server_error(RequestFactory().get("/api/v1/appointments/"))

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["code"] == "server_error"


def test_server_error_on_a_page_is_the_html_page(db):
    response = server_error(RequestFactory().get("/book/"))

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


def test_unknown_api_version_is_a_json_404(client):
    response = client.get("/api/v2/appointments/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
