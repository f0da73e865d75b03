"""What the audit tests share: the address their requests come from, and a booking
made by a supervisor (so that the trail names someone other than the applicant)."""

from __future__ import annotations

import pytest

from accounts.models import Role
from booking.services import appointment_book
from tests import factories

CLIENT_IP = "203.0.113.7"


def book(applicant, slot):
    """An appointment for ``applicant`` at ``slot``, booked by a supervisor."""
    booker = factories.UserFactory(role=Role.SUPERVISOR)
    return appointment_book(actor=booker, applicant=applicant, slot_id=slot.pk)


@pytest.fixture
def web(client):
    """Pages in English (assertions read the source strings), from a known address."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.defaults["REMOTE_ADDR"] = CLIENT_IP
    return client
