"""The object-level rules of ``accounts.permissions``, each rule for each persona.

The world is the persona world (``tests/personas.py``): two sites, two access
points. The applicant booked online at the site; a walk-in registered at the
point was booked by its mediator at the site too; another applicant booked
online at the other site; a person whom a mediator of the point once booked
for at the other site, without being registered there.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from booking import errors
from booking.identity import Identity
from booking.models import Applicant, Appointment, AppointmentStatus, Site, Slot
from booking.permissions import (
    can_act_for,
    can_publish,
    can_register_identity,
    can_see_appointment,
    is_of_access_point,
    managed_sites,
    visible_applicants,
    visible_appointments,
    works_at,
)
from booking.services import (
    applicant_create,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
)
from tests import factories
from tests.personas import ACCOUNTS, World, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db) -> World:
    return build_world()


# --- Acting for a person (book, cancel, reschedule) -----------------------------------------

# (person, where) -> who may act for them there.
ACT_FOR = {
    ("applicant", "site"): {"applicant", "agent", "supervisor"},
    ("applicant", "other_site"): {"applicant", "other_agent", "supervisor"},
    ("other_applicant", "other_site"): {"other_applicant", "other_agent", "supervisor"},
    ("walk_in", "site"): {"mediator", "agent", "supervisor"},
    ("walk_in", "other_site"): {"mediator", "other_agent", "supervisor"},
    ("helped", "site"): {"mediator", "agent", "supervisor"},
    ("helped", "other_site"): {"mediator", "other_agent", "supervisor"},
}


@pytest.mark.parametrize(("person", "where"), list(ACT_FOR))
def test_can_act_for_each_persona(world, person, where):
    allowed = {
        persona
        for persona in ACCOUNTS
        if can_act_for(world.users[persona], world.people[person], site_id=world.sites[where].pk)
    }

    assert allowed == ACT_FOR[(person, where)]


def test_nobody_acts_when_inactive_or_anonymous(world):
    applicant = world.people["applicant"]
    site_id = world.sites["site"].pk
    for persona in ACCOUNTS:
        user = world.users[persona]
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.refresh_from_db()
        assert not can_act_for(user, applicant, site_id=site_id), persona
        assert not can_act_for(user, world.people["walk_in"], site_id=site_id), persona
    assert not can_act_for(AnonymousUser(), applicant, site_id=site_id)


def test_a_mediator_without_an_access_point_acts_for_nobody(world):
    loose = factories.MediatorFactory(access_point=None)

    assert not can_act_for(loose, world.people["walk_in"], site_id=world.sites["site"].pk)
    assert not can_act_for(loose, world.people["helped"], site_id=world.sites["site"].pk)
    assert not can_register_identity(loose, None)
    assert not Appointment.objects.filter(visible_appointments(loose)).exists()
    assert not Applicant.objects.filter(visible_applicants(loose)).exists()


def test_an_applicant_without_an_account_is_nobodys_own(world):
    # ``user_id`` None must not match an account whose pk is None either.
    assert not can_act_for(
        world.users["applicant"], world.people["walk_in"], site_id=world.sites["site"].pk
    )


def test_is_of_access_point_registered_or_booked_for(world):
    point = world.users["mediator"].access_point_id
    other_point = world.users["other_mediator"].access_point_id

    assert is_of_access_point(world.people["walk_in"], point)
    assert is_of_access_point(world.people["helped"], point)
    assert not is_of_access_point(world.people["applicant"], point)
    assert not is_of_access_point(world.people["walk_in"], other_point)
    assert not is_of_access_point(world.people["walk_in"], None)


# --- Seeing appointments and people -----------------------------------------------------

SEES_APPOINTMENTS = {
    "applicant": {"own"},
    "other_applicant": {"others"},
    "mediator": {"walk_in", "helped"},
    "other_mediator": set(),
    "agent": {"own", "walk_in"},
    "other_agent": {"others", "helped"},
    "supervisor": {"own", "walk_in", "others", "helped"},
}


@pytest.mark.parametrize("persona", ACCOUNTS)
def test_visible_appointments_for_each_persona(world, persona):
    user = world.users[persona]
    names = {appointment.pk: name for name, appointment in world.appointments.items()}

    seen = set(Appointment.objects.filter(visible_appointments(user)).values_list("pk", flat=True))

    assert {names[pk] for pk in seen} == SEES_APPOINTMENTS[persona]
    for name, appointment in world.appointments.items():
        assert can_see_appointment(user, appointment) == (name in SEES_APPOINTMENTS[persona])


def test_a_cancelled_booking_by_the_point_still_ties_the_person_to_it(world):
    appointment = world.appointments["helped"]
    appointment_cancel(actor=world.users["mediator"], appointment=appointment)

    assert can_see_appointment(world.users["mediator"], appointment)
    assert can_act_for(
        world.users["mediator"], world.people["helped"], site_id=world.sites["site"].pk
    )


def test_anonymous_sees_nothing(world):
    assert not Appointment.objects.filter(visible_appointments(AnonymousUser())).exists()
    assert not Applicant.objects.filter(visible_applicants(AnonymousUser())).exists()
    assert not Site.objects.filter(managed_sites(AnonymousUser())).exists()


SEES_PEOPLE = {
    "applicant": {"applicant"},
    "other_applicant": {"other_applicant"},
    "mediator": {"walk_in", "helped"},
    "other_mediator": set(),
    "agent": {"applicant", "walk_in"},
    "other_agent": {"other_applicant", "helped"},
    "supervisor": {"applicant", "other_applicant", "walk_in", "helped"},
}


@pytest.mark.parametrize("persona", ACCOUNTS)
def test_visible_applicants_for_each_persona(world, persona):
    names = {person.pk: name for name, person in world.people.items()}

    seen = Applicant.objects.filter(visible_applicants(world.users[persona])).distinct()

    assert {names[person.pk] for person in seen} == SEES_PEOPLE[persona]


# --- Sites: publishing and the admin's scope -------------------------------------------------

WORKS_AT = {
    "site": {"agent", "supervisor"},
    "other_site": {"other_agent", "supervisor"},
}


@pytest.mark.parametrize("where", list(WORKS_AT))
def test_publish_and_work_at_a_site_for_each_persona(world, where):
    site = world.sites[where]

    publishers = {p for p in ACCOUNTS if can_publish(world.users[p], site)}
    workers = {p for p in ACCOUNTS if works_at(world.users[p], site.pk)}
    managing = {
        p
        for p in ACCOUNTS
        if Site.objects.filter(managed_sites(world.users[p]), pk=site.pk).exists()
    }

    assert publishers == workers == managing == WORKS_AT[where]


# --- Registering an identity --------------------------------------------------------------


@pytest.mark.parametrize("persona", ACCOUNTS)
def test_register_identity_for_each_persona(world, persona):
    user = world.users[persona]
    fresh_account = factories.UserFactory()

    own = can_register_identity(user, user)
    for_someone = can_register_identity(user, fresh_account)
    walk_in = can_register_identity(user, None)

    assert own == (persona in ("applicant", "other_applicant"))
    assert for_someone is False  # an account's identity is its owner's to enter
    assert walk_in == (persona not in ("applicant", "other_applicant"))


def _identity(number: str) -> Identity:
    return factories.identity(
        surname="Koné",
        given_names="Awa",
        birth_date=date(1985, 3, 2),
        nationality="CI",
        document_number=number,
    )


def test_a_walk_in_registered_by_a_mediator_belongs_to_their_point(world):
    mediator = world.users["mediator"]

    person = applicant_create(actor=mediator, user=None, identity=_identity("9300000001"))

    assert person.access_point_id == mediator.access_point_id
    assert can_act_for(mediator, person, site_id=world.sites["site"].pk)
    assert not can_act_for(world.users["other_mediator"], person, site_id=world.sites["site"].pk)


def test_a_walk_in_registered_by_an_agent_belongs_to_no_point(world):
    person = applicant_create(
        actor=world.users["agent"], user=None, identity=_identity("9300000002")
    )

    assert person.access_point_id is None
    assert not can_act_for(world.users["mediator"], person, site_id=world.sites["site"].pk)


def test_staff_cannot_register_an_identity_for_an_account(world):
    account = factories.UserFactory()

    with pytest.raises(errors.NotAllowed):
        applicant_create(
            actor=world.users["supervisor"], user=account, identity=_identity("9300000003")
        )

    assert not Applicant.objects.filter(user=account).exists()


# --- The services ask the same rules ---------------------------------------------------------


def _state() -> list:
    return sorted(
        Appointment.objects.values_list("pk", "status", "slot_id", "reschedule_count")
    ) + sorted(Slot.objects.values_list("pk", "booked"))


@pytest.mark.parametrize("persona", ["other_applicant", "other_mediator", "other_agent"])
def test_outsiders_can_neither_cancel_nor_reschedule(world, persona):
    before = _state()
    for name in ("own", "walk_in", "helped"):
        appointment = world.appointments[name]
        if can_see_appointment(world.users[persona], appointment):
            continue  # e.g. the other site's agent for the walk-in booked there
        with pytest.raises(errors.NotAllowed):
            appointment_cancel(actor=world.users[persona], appointment=appointment)
        with pytest.raises(errors.NotAllowed):
            appointment_reschedule(
                actor=world.users[persona],
                appointment=appointment,
                new_slot_id=world.slots["free"].pk,
            )

    assert _state() == before


def test_an_agent_books_for_anyone_at_their_sites_only(world):
    agent = world.users["agent"]
    person = world.people["other_applicant"]
    before = _state()

    with pytest.raises(errors.NotAllowed):
        appointment_book(actor=agent, applicant=person, slot_id=world.slots["other"].pk)
    assert _state() == before

    appointment_cancel(
        actor=world.users["other_applicant"], appointment=world.appointments["others"]
    )
    booked = appointment_book(actor=agent, applicant=person, slot_id=world.slots["booked"].pk)
    assert booked.status == AppointmentStatus.BOOKED


def test_an_agent_cannot_move_an_appointment_to_a_site_not_theirs(world):
    before = _state()

    with pytest.raises(errors.NotAllowed):
        appointment_reschedule(
            actor=world.users["agent"],
            appointment=world.appointments["own"],
            new_slot_id=world.slots["other"].pk,
        )

    assert _state() == before


def test_an_agent_moves_an_appointment_within_their_sites(world):
    moved = appointment_reschedule(
        actor=world.users["agent"],
        appointment=world.appointments["own"],
        new_slot_id=world.slots["free"].pk,
    )

    assert moved.slot_id == world.slots["free"].pk


def test_a_mediator_cancels_for_their_points_people_at_any_site(world):
    walk_in = appointment_cancel(
        actor=world.users["mediator"], appointment=world.appointments["walk_in"]
    )
    helped = appointment_cancel(
        actor=world.users["mediator"], appointment=world.appointments["helped"]
    )

    assert world.appointments["walk_in"].slot.site == world.sites["site"]
    assert world.appointments["helped"].slot.site == world.sites["other_site"]
    assert walk_in.status == helped.status == AppointmentStatus.CANCELLED


def test_a_mediator_cannot_book_for_an_applicant_of_no_point(world):
    before = _state()

    with pytest.raises(errors.NotAllowed):
        appointment_book(
            actor=world.users["mediator"],
            applicant=world.people["other_applicant"],
            slot_id=world.slots["free"].pk,
        )

    assert _state() == before
