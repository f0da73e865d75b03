"""The admin edits reference data and only *reads* capacity, identities and bookings."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.urls import reverse

from accounts.models import ApiToken, Role, User
from accounts.services import api_token_create
from audit.models import AuditAction, AuditEvent
from booking.models import (
    Applicant,
    Appointment,
    AppointmentStatus,
    Procedure,
    Publication,
    Site,
    Slot,
)
from booking.services import appointment_book
from mediation.models import AccessPoint
from tests import factories

pytestmark = pytest.mark.django_db

READ_ONLY_MODELS = (Slot, Publication, Appointment, ApiToken)


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def book(count: int, slot: Slot) -> list[Appointment]:
    agent = factories.UserFactory(role=Role.SUPERVISOR)
    return [
        appointment_book(actor=agent, applicant=factories.ApplicantFactory(), slot_id=slot.pk)
        for _ in range(count)
    ]


@pytest.fixture
def appointment(slot):
    return book(1, slot)[0]


def test_every_domain_model_is_registered():
    for model in (
        Site,
        Procedure,
        AccessPoint,
        User,
        ApiToken,
        Slot,
        Publication,
        Applicant,
        Appointment,
    ):
        assert admin.site.is_registered(model), model


@pytest.mark.parametrize(
    "model",
    [Site, Procedure, AccessPoint, User, ApiToken, Slot, Publication, Applicant, Appointment],
)
def test_changelists_answer_in_a_bounded_number_of_queries(
    admin_client, model, slot, django_assert_max_num_queries
):
    Slot.objects.filter(pk=slot.pk).update(capacity=20)
    book(12, slot)
    for user in User.objects.all()[:5]:
        api_token_create(user=user)
    factories.MediatorFactory.create_batch(3)

    with django_assert_max_num_queries(10):
        response = admin_client.get(url(model, "changelist"))

    assert response.status_code == 200


def test_search_finds_an_appointment_by_reference(admin_client, appointment):
    response = admin_client.get(url(Appointment, "changelist"), {"q": appointment.reference})

    assert response.status_code == 200
    assert appointment.reference in response.content.decode()


@pytest.mark.parametrize("model", READ_ONLY_MODELS)
def test_read_only_models_cannot_be_added(admin_client, model):
    assert admin_client.get(url(model, "add")).status_code == 403


def test_appointment_cannot_be_changed_or_deleted(admin_client, appointment):
    change = url(Appointment, "change", appointment.pk)

    page = admin_client.get(change)
    posted = admin_client.post(change, {"status": AppointmentStatus.CANCELLED, "_save": "Save"})
    deleted = admin_client.post(url(Appointment, "delete", appointment.pk), {"post": "yes"})

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert posted.status_code == 403
    assert deleted.status_code == 403
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_slot_capacity_cannot_be_changed_or_deleted(admin_client, slot):
    posted = admin_client.post(url(Slot, "change", slot.pk), {"capacity": 99, "_save": "Save"})
    deleted = admin_client.post(url(Slot, "delete", slot.pk), {"post": "yes"})
    bulk = admin_client.post(
        url(Slot, "changelist"), {"action": "delete_selected", "_selected_action": [slot.pk]}
    )

    assert posted.status_code == 403
    assert deleted.status_code == 403
    # The action is not offered: the list again, nothing deleted.
    assert bulk.status_code == 200
    slot.refresh_from_db()
    assert slot.capacity == 3
    assert Slot.objects.filter(pk=slot.pk).exists()


def test_applicant_identity_is_read_only_but_contact_details_are_not(admin_client):
    applicant = factories.ApplicantFactory(user=None, email="walkin@example.test")
    before = (applicant.surname, applicant.document_number, applicant.birth_date)

    response = admin_client.post(
        url(Applicant, "change", applicant.pk),
        {
            "surname": "Broker",
            "document_number": "9399999999",
            "birth_date": "2000-01-01",
            "email": applicant.email,
            "phone": "+33611223344",
            "preferred_language": "en",
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    applicant.refresh_from_db()
    assert (applicant.surname, applicant.document_number, applicant.birth_date) == before
    assert applicant.phone == "+33611223344"
    assert applicant.preferred_language == "en"
    [row] = AuditEvent.objects.filter(action=AuditAction.CONTACT_CHANGED, applicant=applicant)
    assert row.details["by"] == "admin"
    assert row.details["after"] == {"phone": "+33611223344", "preferred_language": "en"}
    assert set(row.details["before"]) == {"phone", "preferred_language"}


def test_applicants_are_neither_added_nor_deleted_in_the_admin(admin_client, applicant):
    assert admin_client.get(url(Applicant, "add")).status_code == 403
    assert (
        admin_client.post(url(Applicant, "delete", applicant.pk), {"post": "yes"}).status_code
        == 403
    )
    assert Applicant.objects.filter(pk=applicant.pk).exists()


def test_api_token_page_never_shows_the_digest(admin_client, applicant_user):
    token, key = api_token_create(user=applicant_user)

    page = admin_client.get(url(ApiToken, "change", token.pk)).content.decode()
    changelist = admin_client.get(url(ApiToken, "changelist")).content.decode()

    assert token.prefix in page
    for html in (page, changelist):
        assert token.digest not in html
        assert key not in html
    assert admin_client.post(url(ApiToken, "delete", token.pk), {"post": "yes"}).status_code == 403


def test_admin_creates_a_user_who_logs_in_by_email(admin_client, site):
    response = admin_client.post(
        url(User, "add"),
        {
            "email": "Nouvel.Agent@Example.TEST",
            "role": Role.AGENT,
            "sites": [site.pk],
            "access_point": "",
            "usable_password": "true",
            "password1": "un-mot-de-passe-solide-93",
            "password2": "un-mot-de-passe-solide-93",
            "_save": "Save",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="nouvel.agent@example.test")
    assert user.role == Role.AGENT
    assert list(user.sites.all()) == [site]
    assert authenticate(
        HttpRequest(), email="nouvel.agent@example.test", password="un-mot-de-passe-solide-93"
    )


def test_admin_refuses_a_second_account_with_the_same_email(admin_client, applicant_user):
    response = admin_client.post(
        url(User, "add"),
        {
            "email": applicant_user.email.upper(),
            "role": Role.APPLICANT,
            "usable_password": "true",
            "password1": "un-mot-de-passe-solide-93",
            "password2": "un-mot-de-passe-solide-93",
            "_save": "Save",
        },
    )

    assert response.status_code == 200
    assert User.objects.filter(email__iexact=applicant_user.email).count() == 1


def test_user_change_page_edits_role_and_attachments(admin_client, site):
    point = factories.AccessPointFactory()
    user = factories.UserFactory()
    change = url(User, "change", user.pk)
    page = admin_client.get(change).content.decode()
    assert 'name="username"' not in page

    response = admin_client.post(
        change,
        {
            "email": user.email,
            "full_name": "Awa Diop",
            "language": "fr",
            "role": Role.MEDIATOR,
            "access_point": point.pk,
            "is_active": "on",
            "_save": "Save",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert (user.role, user.access_point, user.full_name) == (Role.MEDIATOR, point, "Awa Diop")


def test_sites_and_procedures_are_editable(admin_client):
    response = admin_client.post(
        url(Site, "add"),
        {
            "slug": "montreuil",
            "name": "Antenne de Montreuil",
            "address": "1 place Jean Jaurès",
            "postcode": "93100",
            "city": "Montreuil",
            "access_info": "",
            "is_active": "on",
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    assert Site.objects.get(slug="montreuil").city == "Montreuil"


def test_add_and_change_forms_render(admin_client, applicant):
    assert admin_client.get(url(User, "add")).status_code == 200
    assert admin_client.get(url(Site, "add")).status_code == 200
    assert admin_client.get(url(Procedure, "add")).status_code == 200
    assert admin_client.get(url(AccessPoint, "add")).status_code == 200
    page = admin_client.get(url(Applicant, "change", applicant.pk)).content.decode()
    walk_in = factories.ApplicantFactory(user=None)
    walk_in_page = admin_client.get(url(Applicant, "change", walk_in.pk)).content.decode()
    # A walk-in's contacts are staff's to correct; an account's are its own.
    assert 'name="phone"' in walk_in_page
    assert 'name="phone"' not in page
    assert 'name="surname"' not in page
    assert 'name="document_number"' not in page
    assert applicant.document_number in page


def test_a_change_made_in_the_admin_is_audited(admin_client, admin_user, site):
    response = admin_client.post(
        url(Site, "change", site.pk),
        {
            "slug": site.slug,
            "name": "Sous-préfecture renommée",
            "address": site.address,
            "postcode": site.postcode,
            "city": site.city,
            "is_active": "on",
            "_save": "Save",
        },
    )

    assert response.status_code == 302, response.content[:2000]
    [row] = AuditEvent.objects.filter(action=AuditAction.ADMIN_CHANGED)
    assert (row.actor_id, row.details["operation"]) == (admin_user.pk, "change")
    assert (row.details["model"], row.details["pk"]) == ("booking.Site", site.pk)
    assert row.details["message"] == [{"changed": {"fields": ["Name"]}}]


def test_second_factors_are_not_managed_in_the_admin(admin_client, agent):
    """Reset on the staff pages only (audited, sessions and tokens ended); the
    plugins' admins would show TOTP keys and backup codes."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=agent, name="phone", confirmed=True)

    for model in (TOTPDevice, StaticDevice):
        assert not admin.site.is_registered(model)
    assert admin_client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").status_code == 404
    assert device.key not in admin_client.get("/admin/").content.decode()
