"""A slot the caller may not see answers exactly as a slot that does not exist.

Slot ids are sequential: any difference (a code, a status, a message, a
redirect to the slot's day) would tell a bot which ids are coming. Hidden:
not yet visible, beyond the booking horizon, in a pool reserved for others,
and for a reschedule a slot of another procedure. Each answer is compared
byte for byte with the one for a missing slot, through the API (the booking
and the reschedule, free and full slots: the fast refusal of full slots
included) and the pages.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from booking.api import soldout
from booking.models import Pool, Procedure, Slot
from booking.services import appointment_book
from tests import factories
from tests.helpers.api_clients import token_client

pytestmark = pytest.mark.django_db

API = "/api/v1/appointments/"
HIDDEN = ["not-yet-visible", "beyond-the-horizon", "reserved-pool"]


def _hidden(kind: str, *, site, procedure: Procedure, full: bool = False) -> Slot:
    now = timezone.now()
    fields = {"site": site, "procedure": procedure}
    if full:
        fields |= {"capacity": 1, "booked": 1}
    if kind == "not-yet-visible":
        fields["published_at"] = now + timedelta(minutes=5)
    elif kind == "beyond-the-horizon":
        fields["starts_at"] = now + timedelta(days=procedure.horizon_days + 1)
    elif kind == "reserved-pool":
        fields["pool"] = Pool.MEDIATION
    elif kind == "another-procedure":
        fields["procedure"] = factories.ProcedureFactory()
    return factories.SlotFactory(**fields)


def _missing_id() -> int:
    return (Slot.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


def _answer(response) -> tuple[int, bytes]:
    return response.status_code, response.content


@pytest.mark.parametrize("full", [False, True], ids=["free", "full"])
@pytest.mark.parametrize("kind", HIDDEN)
def test_booking_a_hidden_slot_through_the_api_answers_as_a_missing_one(
    applicant_user, site, procedure, kind, full
):
    api = token_client(applicant_user)
    hidden = _hidden(kind, site=site, procedure=procedure, full=full)
    missing = _missing_id()

    for _attempt in range(2):  # the second after the first was refused (any memory of it)
        answer = _answer(api.post(API, {"slot": hidden.pk}, format="json"))
        assert answer == _answer(api.post(API, {"slot": missing}, format="json"))
    assert answer[0] == 404
    assert not soldout.is_sold_out(hidden.pk)


@pytest.mark.parametrize("full", [False, True], ids=["free", "full"])
@pytest.mark.parametrize("kind", [*HIDDEN, "another-procedure"])
def test_rescheduling_to_a_hidden_slot_through_the_api_answers_as_a_missing_one(
    applicant, site, procedure, slot, kind, full
):
    api = token_client(applicant.user)
    mine = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    hidden = _hidden(kind, site=site, procedure=procedure, full=full)
    url = f"{API}{mine.reference}/reschedule/"

    answer = _answer(api.post(url, {"slot": hidden.pk}, format="json"))

    assert answer == _answer(api.post(url, {"slot": _missing_id()}, format="json"))
    assert answer[0] == 404


def _page(response, slot_id: int) -> tuple[int, bytes, str | None]:
    """Status, body and redirect target, less what differs by request: the
    nonce, the CSRF token and the page's own URL (the login form's ``next``)."""
    body = re.sub(rb'(nonce|csrfmiddlewaretoken" value)="[^"]*"', rb'\1=""', response.content)
    body = body.replace(f"/{slot_id}/".encode(), b"/<slot>/")
    return response.status_code, body, response.get("Location")


@pytest.mark.parametrize("kind", HIDDEN)
def test_a_hidden_slot_s_booking_page_is_the_missing_slot_s(
    client, applicant, site, procedure, kind
):
    client.force_login(applicant.user)
    hidden = _hidden(kind, site=site, procedure=procedure)
    missing = _missing_id()

    for method in (client.get, client.post):
        page = _page(method(reverse("booking:confirm", args=[hidden.pk])), hidden.pk)
        assert page == _page(method(reverse("booking:confirm", args=[missing])), missing)
        assert page[0] == 404


@pytest.mark.parametrize("kind", [*HIDDEN, "another-procedure"])
def test_a_hidden_slot_s_reschedule_page_is_the_missing_slot_s(
    client, applicant, site, procedure, slot, kind
):
    client.force_login(applicant.user)
    mine = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    hidden = _hidden(kind, site=site, procedure=procedure)
    missing = _missing_id()

    def url(slot_id: int) -> str:
        return reverse("booking:appointment_reschedule_confirm", args=[mine.reference, slot_id])

    page = _page(client.get(url(hidden.pk)), hidden.pk)
    assert page == _page(client.get(url(missing)), missing)
    assert page[0] == 404
    # A refused change goes back to the choice of a time with the message of a
    # slot that does not exist, never to the hidden slot's day.
    refused = client.post(url(hidden.pk), follow=True)
    assert _page(refused, hidden.pk) == _page(client.post(url(missing), follow=True), missing)
    assert refused.redirect_chain == [
        (reverse("booking:appointment_reschedule", args=[mine.reference]), 302)
    ]
    mine.refresh_from_db()
    assert mine.slot_id == slot.pk
