"""Staff given the admin without being administrators see only their share."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import ApiToken, IdentityClaimAttempt, Role
from accounts.services import api_token_create
from audit.models import AuditAction, AuditEvent
from booking.models import Applicant, Appointment, Slot
from booking.services import appointment_book
from mediation.models import AccessPoint
from notifications.models import Message
from tests import factories
from tests.auth import login

pytestmark = pytest.mark.django_db


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _with_admin(user, *codenames: str):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


VIEW_ALL = ("view_appointment", "view_applicant", "change_applicant", "view_slot", "view_site")


@pytest.fixture
def booked(site, procedure):
    """One appointment at ``site``, one at another site, by a supervisor."""
    supervisor = factories.UserFactory(role=Role.SUPERVISOR)
    here = appointment_book(
        actor=supervisor,
        applicant=factories.ApplicantFactory(),
        slot_id=factories.SlotFactory(site=site, procedure=procedure).pk,
    )
    elsewhere = appointment_book(
        actor=supervisor,
        applicant=factories.ApplicantFactory(),
        slot_id=factories.SlotFactory(procedure=procedure).pk,
    )
    return here, elsewhere


def test_an_agent_sees_only_their_sites_appointments(client, agent, booked):
    here, elsewhere = booked
    login(client, _with_admin(agent, *VIEW_ALL))

    listing = client.get(url(Appointment, "changelist")).content.decode()
    mine = client.get(url(Appointment, "change", here.pk))
    theirs = client.get(url(Appointment, "change", elsewhere.pk))

    assert here.reference in listing
    assert elsewhere.reference not in listing
    assert mine.status_code == 200
    assert theirs.status_code == 302  # answered as missing: back to the admin index
    assert theirs["Location"] == reverse("admin:index")


def test_an_agent_sees_only_their_sites_slots_and_people(client, agent, booked):
    here, elsewhere = booked
    login(client, _with_admin(agent, *VIEW_ALL))

    slots = client.get(url(Slot, "changelist"))
    person_here = client.get(url(Applicant, "change", here.applicant_id))
    person_elsewhere = client.post(
        url(Applicant, "change", elsewhere.applicant_id),
        {"email": "", "phone": "+33600000000", "preferred_language": "fr", "_save": "Save"},
    )

    assert list(slots.context["cl"].queryset) == [here.slot]
    assert person_here.status_code == 200
    assert person_elsewhere.status_code == 302
    assert Applicant.objects.get(pk=elsewhere.applicant_id).phone != "+33600000000"


def test_a_mediator_sees_only_their_points_bookings(client, mediator, booked, site, procedure):
    walk_in = factories.ApplicantFactory(user=None, access_point=mediator.access_point)
    factories.ConsentFactory(applicant=walk_in, mediator=mediator)
    theirs = appointment_book(
        actor=mediator,
        applicant=walk_in,
        slot_id=factories.SlotFactory(site=site, procedure=procedure).pk,
    )
    login(client, _with_admin(mediator, *VIEW_ALL))

    listing = client.get(url(Appointment, "changelist"))

    assert list(listing.context["cl"].queryset) == [theirs]
    assert client.get(url(Slot, "changelist")).context["cl"].queryset.count() == 0


def test_a_supervisor_sees_every_site(client, supervisor, booked):
    login(client, _with_admin(supervisor, *VIEW_ALL))

    listing = client.get(url(Appointment, "changelist"))

    assert set(listing.context["cl"].queryset) == set(booked)


def test_an_applicant_with_admin_access_by_mistake_gets_nothing(client, applicant_user, booked):
    login(client, _with_admin(applicant_user, *VIEW_ALL))

    assert client.get(url(Appointment, "changelist")).status_code == 403
    assert client.get(url(Appointment, "change", booked[0].pk)).status_code == 403


def test_an_agent_sees_only_the_messages_of_their_sites_people(client, agent, booked):
    here, elsewhere = booked
    login(client, _with_admin(agent, "view_message"))

    listing = client.get(url(Message, "changelist"))

    shown = set(listing.context["cl"].queryset)
    assert shown == set(Message.objects.filter(applicant_id=here.applicant_id))
    assert shown  # the booking owed the person messages
    assert not shown & set(Message.objects.filter(applicant_id=elsewhere.applicant_id))


def test_an_agent_sees_only_their_own_tokens_and_no_identity_claims(client, agent, applicant_user):
    mine, _key = api_token_create(user=agent)
    api_token_create(user=applicant_user)
    IdentityClaimAttempt.objects.create(identity_key="agdref:9300000000", account=applicant_user)
    login(client, _with_admin(agent, "view_apitoken", "view_identityclaimattempt"))

    tokens = client.get(url(ApiToken, "changelist"))
    claims = client.get(url(IdentityClaimAttempt, "changelist"))

    assert list(tokens.context["cl"].queryset) == [mine]
    assert claims.context["cl"].queryset.count() == 0


# --- Access points -------------------------------------------------------------------

POINT_PERMS = ("view_accesspoint", "change_accesspoint", "add_accesspoint", "delete_accesspoint")


def _point_form(point: AccessPoint, **changes) -> dict:
    data = {
        "slug": point.slug,
        "name": point.name,
        "address": point.address,
        "postcode": point.postcode,
        "city": point.city,
        "phone": point.phone,
        "opening_hours": point.opening_hours,
        "is_active": "on" if point.is_active else "",
        "_save": "Save",
    }
    data.update(changes)
    return data


def test_a_mediator_sees_and_changes_only_their_own_access_point(client, mediator):
    mine = mediator.access_point
    theirs = factories.AccessPointFactory()
    login(client, _with_admin(mediator, *POINT_PERMS))

    listing = client.get(url(AccessPoint, "changelist"))
    changed = client.post(
        url(AccessPoint, "change", mine.pk), _point_form(mine, phone="01 48 00 00 00")
    )
    refused = client.post(url(AccessPoint, "change", theirs.pk), _point_form(theirs, name="Pris"))

    assert list(listing.context["cl"].queryset) == [mine]
    assert changed.status_code == 302
    mine.refresh_from_db()
    assert mine.phone == "01 48 00 00 00"
    assert refused.status_code == 302 and refused["Location"] == reverse("admin:index")
    theirs.refresh_from_db()
    assert theirs.name != "Pris"
    [row] = AuditEvent.objects.filter(action=AuditAction.ACCESS_POINT_CHANGED)
    assert row.actor_id == mediator.pk
    assert row.details == {
        "access_point": mine.pk,
        "before": {"phone": ""},
        "after": {"phone": "01 48 00 00 00"},
    }


def test_a_mediator_neither_adds_deactivates_renames_nor_deletes_an_access_point(client, mediator):
    mine = mediator.access_point
    login(client, _with_admin(mediator, *POINT_PERMS))

    add = client.get(url(AccessPoint, "add"))
    client.post(
        url(AccessPoint, "change", mine.pk), _point_form(mine, slug="ailleurs", is_active="")
    )
    delete = client.post(url(AccessPoint, "delete", mine.pk), {"post": "yes"})

    assert add.status_code == 403
    assert delete.status_code == 403
    mine.refresh_from_db()
    assert (mine.slug, mine.is_active) != ("ailleurs", False)
    assert mine.is_active and mine.slug != "ailleurs"
    assert not AuditEvent.objects.filter(action__startswith="access_point.").exists()


def test_an_agent_with_the_model_permissions_gets_no_access_point(client, agent):
    point = factories.AccessPointFactory()
    login(client, _with_admin(agent, *POINT_PERMS))

    listing = client.get(url(AccessPoint, "changelist"))
    change = client.post(url(AccessPoint, "change", point.pk), _point_form(point, name="Pris"))

    assert listing.context["cl"].queryset.count() == 0
    assert change.status_code == 302
    point.refresh_from_db()
    assert point.name != "Pris"
    assert not AuditEvent.objects.filter(action__startswith="access_point.").exists()


def test_a_supervisor_adds_and_changes_any_access_point_each_change_audited(client, supervisor):
    point = factories.AccessPointFactory()
    login(client, _with_admin(supervisor, *POINT_PERMS))

    added = client.post(
        url(AccessPoint, "add"),
        {
            "slug": "fs-pantin",
            "name": "France Services Pantin",
            "address": "2 rue Hoche",
            "postcode": "93500",
            "city": "Pantin",
            "phone": "",
            "opening_hours": "",
            "is_active": "on",
            "_save": "Save",
        },
    )
    changed = client.post(url(AccessPoint, "change", point.pk), _point_form(point, is_active=""))

    assert added.status_code == changed.status_code == 302
    new = AccessPoint.objects.get(slug="fs-pantin")
    point.refresh_from_db()
    assert not point.is_active
    created = AuditEvent.objects.get(action=AuditAction.ACCESS_POINT_CREATED)
    assert created.actor_id == supervisor.pk
    assert created.details["access_point"] == new.pk
    assert created.details["after"]["city"] == "Pantin"
    change = AuditEvent.objects.get(action=AuditAction.ACCESS_POINT_CHANGED)
    assert change.details == {
        "access_point": point.pk,
        "before": {"is_active": True},
        "after": {"is_active": False},
    }
