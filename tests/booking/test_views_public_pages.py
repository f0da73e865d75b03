"""The public pages and how domain errors are rendered on them."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from booking import errors
from core.views import domain_errors
from tests import factories
from tests.helpers.booking_pages import book, links_to

pytestmark = pytest.mark.django_db


# --- Error translation --------------------------------------------------------------------------


def test_domain_error_without_fallback_renders_its_message_and_status():
    @domain_errors()
    def view(request):
        raise errors.SlotFull()

    request = RequestFactory().get("/")
    request.user = factories.UserFactory.build()

    response = view(request)

    assert response.status_code == 409
    assert str(errors.SlotFull.default_message) in response.content.decode()


def test_domain_error_message_is_in_the_users_language(client, applicant, slot):
    client.force_login(applicant.user)
    book(applicant, slot)
    other = factories.SlotFactory(site=slot.site, procedure=slot.procedure)

    response = client.post(reverse("booking:confirm", args=[other.pk]), follow=True)

    with translation.override("fr"):
        french = str(errors.AlreadyBooked.default_message)
    with translation.override("en"):
        assert french != str(errors.AlreadyBooked.default_message)  # a real translation
    assert french in response.content.decode()


# --- Public pages ----------------------------------------------------------------------------


def test_home_explains_booking_is_free_and_where_to_get_help(web):
    response = web.get(reverse("home"))

    html = response.content.decode()
    assert "Never pay anyone for an appointment" in html
    assert links_to(response, reverse("booking:procedures"))
    assert links_to(response, reverse("booking:my_appointments"))
    assert links_to(response, reverse("mediation:points"))
    assert links_to(response, reverse("mediation:substitution"))


def test_pages_are_french_by_default_and_english_on_request(client):
    french = client.get(reverse("home"))
    switched = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("home")}, follow=True
    )

    assert '<html lang="fr"' in french.content.decode()
    assert "Ne payez jamais" in french.content.decode()
    assert '<html lang="en"' in switched.content.decode()
    assert "Never pay anyone" in switched.content.decode()


def test_mediation_points_lists_the_active_access_points(web):
    open_point = factories.AccessPointFactory(phone="01 23 45 67 89", opening_hours="Lundi 9h-12h")
    closed = factories.AccessPointFactory(is_active=False)

    response = web.get(reverse("mediation:points"))

    html = response.content.decode()
    assert response.status_code == 200
    assert open_point.name in html and "tel:0123456789" in html and "Lundi 9h-12h" in html
    assert closed.name not in html


def test_substitution_page_explains_the_route_with_the_sites_addresses(web, site):
    response = web.get(reverse("mediation:substitution"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "registered letter" in html
    assert site.full_address in html
    assert links_to(response, reverse("mediation:points"))


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_substitution_pages_french_terms_are_marked_french(client, language):
    """RGAA 8.7 and 8.10: the French terms a person will need to use in France
    (the letter, the court's procedure, where free advice is given) keep their
    French words in a page of another language, marked French, left to right."""
    client.post(reverse("set_language"), {"language": language, "next": "/"})

    html = client.get(reverse("mediation:substitution")).content.decode()

    for term in (
        "lettre recommandée avec accusé de réception",
        "référé « mesures utiles »",
        "points-justice",
    ):
        assert f'<span lang="fr" dir="ltr">{term}</span>' in html, term
