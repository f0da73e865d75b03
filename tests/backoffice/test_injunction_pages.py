"""The court orders' pages (``agent:injunctions``): the list with states and
counts, recording an order for a person found or registered, booking its
convocation on priority capacity before the deadline, and who sees what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from audit.models import AuditAction, AuditEvent
from booking.models import Applicant, Appointment, Injunction, Pool
from booking.services import appointment_book
from booking.services.injunctions import injunction_convoke
from tests import factories
from tests.auth import login
from tests.helpers.injunctions import record, slot_on, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def walk_in(db):
    return factories.ApplicantFactory(user=None, email="awa@example.test")


@pytest.fixture
def order(agent, walk_in, procedure, site):
    return record(agent, walk_in, procedure, site, deadline=today() + timedelta(days=5))


def _order_form(procedure, site, **changes) -> dict:
    return {
        "action": "record",
        "court": "Tribunal administratif de Montreuil",
        "case_number": "2654321",
        "ordered_on": (today() - timedelta(days=1)).isoformat(),
        "deadline": (today() + timedelta(days=10)).isoformat(),
        "procedure": procedure.pk,
        "site": site.pk,
        "notes": "",
        **changes,
    }


# --- The list ------------------------------------------------------------------------------


def test_the_list_shows_each_order_with_its_state_and_the_counts(web, agent, order, procedure):
    overdue = record(
        agent,
        factories.ApplicantFactory(user=None),
        procedure,
        order.site,
        ordered_on=today() - timedelta(days=20),
        deadline=today() - timedelta(days=1),
    )
    login(web, agent)

    page = web.get(reverse("agent:injunctions")).content.decode()

    assert page.index(overdue.case_number) < page.index(order.applicant.surname.upper())
    assert "1 overdue" in page
    assert "1 at risk" in page
    assert 'aria-current="page"' in page and "Court orders" in page


def test_the_list_filters_by_state(web, agent, order):
    login(web, agent)

    at_risk = web.get(reverse("agent:injunctions"), {"state": "at_risk"}).content.decode()
    in_time = web.get(reverse("agent:injunctions"), {"state": "in_time"}).content.decode()
    nonsense = web.get(reverse("agent:injunctions"), {"state": "x", "site": "y"})

    assert order.case_number in at_risk
    assert order.case_number not in in_time
    assert nonsense.status_code == 200


def test_an_agent_of_another_site_neither_sees_nor_acts(web, other_agent, order, site, procedure):
    slot = factories.SlotFactory(site=site, procedure=procedure, pool=Pool.PRIORITY)
    login(web, other_agent)

    listed = web.get(reverse("agent:injunctions")).content.decode()
    opened = web.get(reverse("agent:injunction", args=[order.pk]))
    convoked = web.post(reverse("agent:injunction_convocation", args=[order.pk]), {"slot": slot.pk})

    assert order.case_number not in listed
    assert opened.status_code == 404
    assert convoked.status_code == 404
    assert not Appointment.objects.exists()


def test_applicants_and_mediators_get_403(web, applicant, mediator):
    for user in (applicant.user, mediator):
        login(web, user)
        assert web.get(reverse("agent:injunctions")).status_code == 403
        assert web.get(reverse("agent:injunction_new")).status_code == 403


# --- Recording -----------------------------------------------------------------------------


def test_an_agent_finds_the_person_by_document_and_records_the_order(
    web, agent, walk_in, procedure, site
):
    login(web, agent)
    new = reverse("agent:injunction_new")

    found = web.post(
        new,
        {
            "action": "document",
            "document-document_number": walk_in.document_number,
            "document-birth_date": walk_in.birth_date.isoformat(),
        },
    )
    chosen = web.get(new).content.decode()
    recorded = web.post(new, _order_form(procedure, site))

    assert found.status_code == 302
    assert walk_in.surname.upper() in chosen
    order = Injunction.objects.get()
    assert recorded.url == reverse("agent:injunction", args=[order.pk])
    assert order.applicant == walk_in
    assert order.recorded_by == agent
    assert AuditEvent.objects.filter(action=AuditAction.INJUNCTION_RECORDED).count() == 1


def test_an_agent_finds_the_person_by_booking_reference(web, agent, applicant, site, procedure):
    booked = appointment_book(
        actor=applicant.user,
        applicant=applicant,
        slot_id=factories.SlotFactory(site=site, procedure=procedure).pk,
    )
    login(web, agent)
    new = reverse("agent:injunction_new")

    web.post(
        new,
        {
            "action": "reference",
            "reference-reference": booked.reference,
            "reference-birth_date": applicant.birth_date.isoformat(),
        },
    )

    assert applicant.surname.upper() in web.get(new).content.decode()


def test_nobody_found_says_so_and_offers_registering(web, agent):
    login(web, agent)

    page = web.post(
        reverse("agent:injunction_new"),
        {
            "action": "document",
            "document-document_number": "9300000000",
            "document-birth_date": "1990-01-01",
        },
    ).content.decode()

    assert "Nobody on file matches" in page


def test_an_agent_registers_a_walk_in_then_records_the_order(web, agent, procedure, site):
    login(web, agent)
    new = reverse("agent:injunction_new")

    registered = web.post(
        new,
        {
            "action": "register",
            "walk_in-surname": "Traoré",
            "walk_in-given_names": "Mariam",
            "walk_in-birth_date": "1985-03-02",
            "walk_in-nationality": "ML",
            "walk_in-document_type": "passport",
            "walk_in-document_number": "AB123456",
            "walk_in-phone": "06 12 34 56 78",
            "walk_in-email": "",
            "walk_in-language": "fr",
        },
    )
    web.post(new, _order_form(procedure, site))

    assert registered.status_code == 302
    person = Applicant.objects.get(document_number="AB123456")
    assert person.user is None
    assert person.phone == "+33612345678"
    assert Injunction.objects.get().applicant == person


def test_bad_order_details_are_refused_in_french_and_nothing_is_written(
    client, agent, walk_in, procedure, site
):
    login(client, agent)
    session = client.session
    session["injunction_person"] = walk_in.pk
    session.save()

    page = client.post(
        reverse("agent:injunction_new"),
        _order_form(
            procedure,
            site,
            ordered_on=(today() - timedelta(days=1)).isoformat(),
            deadline=(today() - timedelta(days=3)).isoformat(),
        ),
        HTTP_ACCEPT_LANGUAGE="fr",
    )

    assert page.status_code == 200
    with translation.override("fr"):
        expected = translation.gettext(
            "The deadline to convoke cannot be before the date of the order."
        )
    assert escape(expected) in page.content.decode()
    assert not Injunction.objects.exists()


def test_an_order_at_a_site_not_theirs_is_not_offered(web, agent, walk_in, procedure):
    elsewhere = factories.SiteFactory()
    login(web, agent)
    session = web.session
    session["injunction_person"] = walk_in.pk
    session.save()

    page = web.post(reverse("agent:injunction_new"), _order_form(procedure, elsewhere))

    assert page.status_code == 200
    assert not Injunction.objects.exists()


def test_recording_without_a_person_sends_back_to_the_search(web, agent, procedure, site):
    login(web, agent)

    answer = web.post(reverse("agent:injunction_new"), _order_form(procedure, site))

    assert answer.status_code == 302
    assert not Injunction.objects.exists()


# --- Booking the convocation ----------------------------------------------------------------


def test_the_page_offers_priority_times_before_the_deadline_only(
    web, agent, order, site, procedure
):
    before = slot_on(site, procedure, today() + timedelta(days=3))
    after = slot_on(site, procedure, today() + timedelta(days=6))
    login(web, agent)

    page = web.get(
        reverse("agent:injunction", args=[order.pk]), {"from": before.starts_at.date().isoformat()}
    ).content.decode()

    assert f'value="{before.pk}"' in page
    assert f'value="{after.pk}"' not in page


def test_booking_serves_the_order_and_shows_the_convocation_and_messages(
    web, agent, order, site, procedure
):
    slot = slot_on(site, procedure, today() + timedelta(days=3))
    login(web, agent)

    answer = web.post(reverse("agent:injunction_convocation", args=[order.pk]), {"slot": slot.pk})
    page = web.get(reverse("agent:injunction", args=[order.pk])).content.decode()

    assert answer.status_code == 302
    appointment = Appointment.objects.get()
    assert Injunction.objects.get().appointment == appointment
    assert reverse("booking:convocation", args=[appointment.reference]) in page
    assert reverse("booking:convocation_pdf", args=[appointment.reference]) in page
    assert "+33612345678" in page
    assert "awa@example.test" in page
    assert "Convoked in time" in page


def test_a_time_after_the_deadline_is_refused_on_the_page(web, agent, order, site, procedure):
    late = slot_on(site, procedure, today() + timedelta(days=7))
    login(web, agent)

    page = web.post(reverse("agent:injunction_convocation", args=[order.pk]), {"slot": late.pk})

    assert page.status_code == 200
    assert "after the deadline set by the court" in page.content.decode()
    assert not Appointment.objects.exists()


def test_no_time_chosen_is_a_form_error(web, agent, order):
    login(web, agent)

    page = web.post(reverse("agent:injunction_convocation", args=[order.pk]), {"slot": "x"})

    assert page.status_code == 200
    assert "The form has errors" in page.content.decode()


def test_the_convocation_page_opens_for_the_agent(web, agent, order, site, procedure):
    slot = slot_on(site, procedure, today() + timedelta(days=3))
    injunction_convoke(actor=agent, injunction=order, slot_id=slot.pk)
    login(web, agent)
    reference = Appointment.objects.get().reference

    assert web.get(reverse("booking:convocation", args=[reference])).status_code == 200


def test_an_id_past_bigint_and_a_bad_site_are_no_errors(web, agent, order):
    login(web, agent)

    huge = web.get(f"/agent/injunctions/{'9' * 30}/")
    odd_site = web.get(reverse("agent:injunction", args=[order.pk]), {"site": "9" * 30})

    assert huge.status_code == 404
    assert odd_site.status_code == 200


def test_two_people_with_the_same_passport_number_are_both_offered(web, agent):
    twins = [
        factories.ApplicantFactory(
            user=None, document_type="passport", document_number="AB998877", nationality=country
        )
        for country in ("ML", "SN")
    ]
    login(web, agent)
    new = reverse("agent:injunction_new")

    listed = web.post(
        new,
        {
            "action": "document",
            "document-document_number": "ab 998877",
            "document-birth_date": twins[0].birth_date.isoformat(),
        },
    ).content.decode()
    stranger = factories.ApplicantFactory(user=None)
    refused = web.post(new, {"action": "choose", "person": stranger.pk})
    chosen = web.post(new, {"action": "choose", "person": twins[1].pk})

    assert all(f'value="{twin.pk}"' in listed for twin in twins)
    assert refused.status_code == 302
    assert web.session.get("injunction_person") == twins[1].pk
    assert chosen.status_code == 302
