"""Who may use the applicant's booking pages: anonymous, staff, unconfirmed accounts."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from booking.models import Appointment
from tests import factories
from tests.auth import login
from tests.helpers.booking_pages import booked_seats

pytestmark = pytest.mark.django_db


# --- Access --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, args",
    [
        ("booking:procedures", []),
        ("booking:sites", ["some-procedure"]),
        ("booking:days", ["some-procedure", "some-site"]),
        ("booking:confirm", [1]),
        ("booking:identity", []),
        ("booking:my_appointments", []),
        ("booking:appointment_detail", ["ABCDEFGH"]),
        ("booking:appointment_ics", ["ABCDEFGH"]),
        ("booking:appointment_cancel", ["ABCDEFGH"]),
        ("booking:appointment_reschedule", ["ABCDEFGH"]),
    ],
)
def test_anonymous_is_sent_to_login(web, name, args):
    url = reverse(name, args=args)

    response = web.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={url}"


def test_staff_get_a_clear_page_instead_of_the_booking_path(web, agent, slot):
    login(web, agent)

    response = web.get(reverse("booking:procedures"))
    post = web.post(reverse("booking:confirm", args=[slot.pk]))

    assert response.status_code == 403
    assert "These pages are for applicants" in response.content.decode()
    assert post.status_code == 403
    assert not Appointment.objects.exists()


def test_login_page_logs_an_applicant_in_and_lands_on_my_appointments(web, applicant):
    page = web.get(reverse("accounts:login"))

    response = web.post(
        reverse("accounts:login"),
        {"username": applicant.user.email, "password": factories.DEFAULT_PASSWORD},
    )

    assert page.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()
    assert response.status_code == 302
    assert response.url == reverse("booking:my_appointments")


def test_logout_is_a_post_form_in_the_header(logged_in):
    page = logged_in.get(reverse("booking:my_appointments")).content.decode()

    assert re.search(
        r'<form method="post" action="' + re.escape(reverse("accounts:logout")) + '"', page
    )


def test_unconfirmed_account_is_sent_to_confirm_before_booking(web, slot):
    user = factories.UnverifiedUserFactory()
    factories.ApplicantFactory(user=user)
    web.force_login(user)

    for method in (web.get, web.post):
        response = method(reverse("booking:confirm", args=[slot.pk]))

        assert response.status_code == 302
        assert response.url == reverse("accounts:verify")
    assert booked_seats(slot) == 0
