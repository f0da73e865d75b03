"""Staff see which messages were sent and whether they arrived; nobody edits them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from booking import services as booking
from notifications.models import Message, MessageStatus


@pytest.fixture
def booked(applicant, slot):
    return booking.appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)


def test_messages_are_searchable_by_reference_and_phone(
    admin_client, booked, other_applicant, slot
):
    booking.appointment_book(actor=other_applicant.user, applicant=other_applicant, slot_id=slot.pk)
    changelist = reverse("admin:notifications_message_changelist")

    by_reference = admin_client.get(changelist, {"q": booked.reference})
    by_phone = admin_client.get(changelist, {"q": booked.applicant.phone})

    assert by_reference.status_code == 200
    assert by_reference.context["cl"].result_count == 2
    assert by_phone.context["cl"].result_count == 1


def test_messages_filter_by_status(admin_client, booked):
    Message.objects.filter(channel="sms").update(status=MessageStatus.DELIVERED)
    response = admin_client.get(
        reverse("admin:notifications_message_changelist"), {"status__exact": "delivered"}
    )
    assert response.context["cl"].result_count == 1


def test_a_message_cannot_be_changed_or_deleted(admin_client, booked):
    message = Message.objects.filter(appointment=booked).first()
    change = reverse("admin:notifications_message_change", args=[message.pk])

    page = admin_client.get(change)
    admin_client.post(change, {"status": "failed", "_save": "Save"})
    deleted = admin_client.post(
        reverse("admin:notifications_message_delete", args=[message.pk]), {"post": "yes"}
    )

    assert page.status_code == 200
    assert booked.reference in page.content.decode()
    assert deleted.status_code == 403
    message.refresh_from_db()
    assert message.status == MessageStatus.PENDING
    assert admin_client.get(reverse("admin:notifications_message_add")).status_code == 403
