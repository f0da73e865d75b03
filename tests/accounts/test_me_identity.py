"""My account says what can be done with the identity on file, and it is true."""

from __future__ import annotations

import pytest
from django.urls import reverse

from booking.services import appointment_book

pytestmark = pytest.mark.django_db


def test_an_unlocked_identity_is_offered_for_correction_and_the_link_opens_the_form(
    web, applicant, slot
):
    web.force_login(applicant.user)

    html = web.get(reverse("accounts:me")).content.decode()

    link = f"{reverse('booking:identity')}?edit=1"
    assert f'href="{link}"' in html
    assert "cannot be changed here" not in html
    assert 'name="document_number"' in web.get(link).content.decode()

    appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    assert f'href="{link}"' not in web.get(reverse("accounts:me")).content.decode()
