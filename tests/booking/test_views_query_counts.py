"""The applicant's booking pages do a bounded number of queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from tests.helpers.booking_pages import book, local_day, times_url_of

pytestmark = pytest.mark.django_db


# --- Query counts ------------------------------------------------------------------------------


def _busy_calendar(procedure, sites=3, per_site=12):
    for _ in range(sites):
        site = factories.SiteFactory()
        for _ in range(per_site):
            factories.SlotFactory(site=site, procedure=procedure)


def test_booking_pages_do_a_bounded_number_of_queries(
    logged_in, applicant, slot, django_assert_max_num_queries
):
    _busy_calendar(slot.procedure)
    factories.ProcedureFactory.create_batch(5)
    book(applicant, factories.SlotFactory())  # an appointment for another procedure
    procedure, site = slot.procedure, slot.site
    empty_site = factories.SiteFactory()
    # Session and user are 2 of each count; none grows with the number of slots.
    # The pages of a procedure ask once whether the person holds a priority
    # right for it (booking.rules.priority_right_held): 1 of each count.
    bounds = [
        (reverse("booking:procedures"), 5),
        # With the allocation modes (the sites given out by a waiting list).
        (reverse("booking:sites", args=[procedure.slug]), 6),
        (reverse("booking:days", args=[procedure.slug, site.slug]), 7),
        # Nothing at the site: the record of attempts counts the search (one
        # upsert statement, in a savepoint: 3 more); the help routes ask whether
        # the procedure has a waiting list (1 more).
        (reverse("booking:days", args=[procedure.slug, empty_site.slug]), 14),
        (times_url_of(slot), 6),
        # One more: a booking block in force (repeated no-shows) is told here.
        (reverse("booking:confirm", args=[slot.pk]), 7),
    ]
    for url, most in bounds:
        with django_assert_max_num_queries(most):
            assert logged_in.get(url).status_code == 200


def test_appointment_pages_do_a_bounded_number_of_queries(
    logged_in, applicant, django_assert_max_num_queries
):
    appointments = [book(applicant, factories.SlotFactory()) for _ in range(6)]
    _busy_calendar(appointments[0].procedure)
    reference = appointments[0].reference
    day = local_day(appointments[0].slot).isoformat()
    bounds = [
        # With the priority rights the person holds.
        (reverse("booking:my_appointments"), 5),
        (reverse("booking:appointment_detail", args=[reference]), 3),
        (reverse("booking:appointment_ics", args=[reference]), 3),
        (reverse("booking:appointment_cancel", args=[reference]), 3),
        (reverse("booking:appointment_reschedule", args=[reference]), 8),
        (reverse("booking:appointment_reschedule", args=[reference]) + f"?date={day}", 9),
    ]
    for url, most in bounds:
        with django_assert_max_num_queries(most):
            assert logged_in.get(url).status_code == 200
