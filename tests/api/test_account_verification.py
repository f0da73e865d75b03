"""Through the API too, no booking before the e-mail and the phone are confirmed."""

from __future__ import annotations

import pytest

from booking.models import Appointment
from tests import factories
from tests.helpers.api_clients import token_client

pytestmark = pytest.mark.django_db


def test_unconfirmed_account_gets_account_not_verified(slot):
    user = factories.UnverifiedUserFactory()
    factories.ApplicantFactory(user=user)

    response = token_client(user).post("/api/v1/appointments/", {"slot": slot.pk}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "account_not_verified"
    slot.refresh_from_db()
    assert slot.booked == 0
    assert not Appointment.objects.exists()
