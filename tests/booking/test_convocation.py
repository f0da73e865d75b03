"""The convocation: what it says (in French and in the person's language), its QR code,
who may print it (page, PDF, API) and the audit of staff printing it for someone."""

from __future__ import annotations

import re

import pytest
import zxingcpp
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import formats, timezone, translation
from PIL import Image, ImageDraw

from audit.models import AuditAction, AuditEvent
from booking.convocation import convocation_of, convocation_pdf, convocation_qr_svg
from booking.models import AppointmentStatus
from booking.services import appointment_cancel
from tests import factories
from tests.auth import login
from tests.helpers.api_clients import token_client
from tests.helpers.booking_pages import book
from tests.helpers.pdf import arabic_glyph_names, decoded_qr_codes, page_texts, text_of

pytestmark = pytest.mark.django_db

ACCESS = "Métro ligne 5, arrêt Bobigny - Pablo Picasso.\nEntrée par la rue Carnot."


def _booked(language: str = "fr", **applicant):
    person = factories.ApplicantFactory(preferred_language=language, **applicant)
    slot = factories.SlotFactory(
        site__name="Préfecture de la Seine-Saint-Denis",
        site__address="1 esplanade Jean Moulin",
        site__access_info=ACCESS,
        procedure__name="Renouvellement de titre de séjour",
        procedure__documents_to_bring="Passeport\nJustificatif de domicile\nTrois photos",
    )
    return book(person, slot)


def _fr(text) -> str:
    with translation.override("fr"):
        return str(text)


def _in(language: str, message: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


# --- What it says ----------------------------------------------------------------------


def test_the_pdf_holds_the_reference_and_what_to_know_in_french():
    appointment = _booked("fr", surname="Diallo", given_names="Aminata")

    pdf = convocation_pdf(convocation_of(appointment))

    pages = page_texts(pdf)
    assert len(pages) == 1  # French only
    text = pages[0]
    for expected in [
        appointment.reference,
        "Renouvellement de titre de séjour",
        "Préfecture de la Seine-Saint-Denis",
        "1 esplanade Jean Moulin",
        "Bobigny - Pablo Picasso",
        "Passeport",
        "Trois photos",
        "DIALLO Aminata",
        appointment.document_number,
        _in("fr", "Booking an appointment is free."),
        _in("fr", "Documents to bring"),
    ]:
        assert expected in text, expected


def test_the_date_and_time_are_the_local_time_of_the_site():
    appointment = _booked("fr")
    starts = timezone.localtime(appointment.slot.starts_at)  # Europe/Paris
    with translation.override("fr"):
        day = formats.date_format(starts, "l j F Y")

    text = text_of(convocation_pdf(convocation_of(appointment)))

    assert day in text
    assert starts.strftime("%H:%M") in text


def test_a_value_of_several_lines_keeps_each_lines_direction_on_the_page(persona_world):
    walk_in = persona_world.people["walk_in"]
    walk_in.preferred_language = "ar"
    walk_in.save(update_fields=["preferred_language"])
    appointment = persona_world.appointments["walk_in"]

    html = _get(persona_world.users["mediator"], "page", appointment.reference).content.decode()

    # The name (Latin) and the document (Arabic words) each in their own <bdi>.
    assert f"<bdi>{appointment.surname.upper()} {appointment.given_names}</bdi><br><bdi>" in html


def test_the_qr_code_of_the_pdf_decodes_to_the_reference():
    appointment = _booked("ar")

    pdf = convocation_pdf(convocation_of(appointment))

    assert decoded_qr_codes(pdf, page=0) == [appointment.reference]
    assert decoded_qr_codes(pdf, page=1) == [appointment.reference]


def test_a_person_who_reads_arabic_gets_a_french_part_then_an_arabic_one():
    appointment = _booked("ar")

    french, arabic = page_texts(convocation_pdf(convocation_of(appointment)))

    assert _in("fr", "Booking an appointment is free.") in french
    assert _in("ar", "Booking an appointment is free.") in arabic
    assert _in("ar", "Documents to bring") in arabic
    assert _in("ar", "Booking an appointment is free.") != "Booking an appointment is free."
    # What is not translated reads as written in the Arabic part too.
    for kept in [appointment.reference, "1 esplanade Jean Moulin", "Trois photos"]:
        assert kept in arabic, kept


def test_the_arabic_part_is_shaped():
    appointment = _booked("ar")

    names = arabic_glyph_names(convocation_pdf(convocation_of(appointment)))

    # « مجاني » (free): meem initial, jeem medial, alef final; drawn unshaped, each
    # letter would be its isolated form (uni0645, uni062C, uni0627) and none of these.
    assert {"uniFEE3", "uniFEA0", "uniFE8E"} <= names


def test_a_person_who_reads_english_gets_a_french_part_then_an_english_one():
    appointment = _booked("en")

    french, english = page_texts(convocation_pdf(convocation_of(appointment)))

    assert "Booking an appointment is free." in english
    assert "Booking an appointment is free." not in french


def test_a_language_the_site_does_not_offer_gives_french_only():
    appointment = _booked("xx")

    assert len(page_texts(convocation_pdf(convocation_of(appointment)))) == 1


def test_a_cancelled_appointment_says_so():
    appointment = _booked("fr")
    appointment_cancel(actor=appointment.applicant.user, appointment=appointment)
    appointment.refresh_from_db()

    text = text_of(convocation_pdf(convocation_of(appointment)))

    assert _fr(AppointmentStatus.CANCELLED.label) in text


def test_a_passport_holder_is_told_to_bring_the_passport():
    appointment = _booked("fr", document_type="passport", document_number="12AB34567")

    part = convocation_of(appointment).parts[0]

    assert part.documents[0] == _in("fr", "Your passport (no. %(number)s), the original.") % {
        "number": "12AB34567"
    }


def _svg_image(svg: str) -> Image.Image:
    """Draw segno's SVG (one path of horizontal strokes, in modules) as a bitmap."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    path = re.search(r'class="qrline"[^>]* d="([^"]+)"', svg).group(1)
    x = y = 0.0
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:\s(-?[\d.]+))?", path):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            length = float(a)
            top = int((y - 0.5) * scale)
            draw.rectangle(
                [int(x * scale), top, int((x + length) * scale) - 1, top + scale - 1], fill=0
            )
            x += length
    return image


def test_the_qr_code_of_the_page_decodes_to_the_reference():
    svg = convocation_qr_svg("GCH7K3P9")

    assert [r.text for r in zxingcpp.read_barcodes(_svg_image(svg))] == ["GCH7K3P9"]


# --- The pages and the API ------------------------------------------------------------


def _urls(reference: str) -> dict[str, str]:
    return {
        "page": reverse("booking:convocation", args=[reference]),
        "pdf": reverse("booking:convocation_pdf", args=[reference]),
        "api": f"/api/v1/appointments/{reference}/convocation.pdf",
    }


def _get(user, kind: str, reference: str):
    cache.clear()
    url = _urls(reference)[kind]
    if kind == "api":
        return token_client(user).get(url)
    return login(Client(), user).get(url)


KINDS = ["page", "pdf", "api"]

# Who sees which appointment of the persona world (tests/personas.py).
SEEN = {
    "own": {"applicant", "agent", "supervisor"},
    "walk_in": {"mediator", "agent", "supervisor"},
    "helped": {"mediator", "other_agent", "supervisor"},
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("which", sorted(SEEN))
def test_whoever_may_see_the_appointment_gets_it_and_nobody_else(persona_world, kind, which):
    reference = persona_world.appointments[which].reference

    for persona, user in persona_world.users.items():
        if persona == "administrator":
            continue
        response = _get(user, kind, reference)
        expected = 200 if persona in SEEN[which] else 404
        assert response.status_code == expected, (persona, which, kind)
        if expected == 200 and kind != "page":
            assert response["Content-Type"] == "application/pdf"
            assert response.content.startswith(b"%PDF-")
            assert reference in text_of(response.content)
        if expected == 200 and kind == "page":
            assert reference in response.content.decode()


def test_someone_elses_reference_answers_as_one_that_does_not_exist(persona_world):
    stranger = persona_world.users["other_applicant"]
    theirs = persona_world.appointments["own"].reference

    for kind in KINDS:
        refused = _get(stranger, kind, theirs)
        missing = _get(stranger, kind, "ZZZZZZZZ")
        malformed = _get(stranger, kind, "not-a-ref")
        assert refused.status_code == missing.status_code == malformed.status_code == 404
        if kind == "api":
            assert refused.json() == missing.json() == malformed.json()
            assert refused.json()["code"] == "appointment_not_found"


def test_anonymous_is_sent_to_log_in_or_refused_by_the_api(persona_world):
    reference = persona_world.appointments["own"].reference
    urls = _urls(reference)

    assert Client().get(urls["page"]).status_code == 302
    assert Client().get(urls["pdf"]).status_code == 302
    assert Client().get(urls["api"]).status_code == 401


def test_the_api_answers_a_client_that_accepts_only_pdf(persona_world):
    applicant = persona_world.users["applicant"]
    reference = persona_world.appointments["own"].reference
    client = token_client(applicant)

    found = client.get(_urls(reference)["api"], HTTP_ACCEPT="application/pdf")
    missing = client.get(_urls("ZZZZZZZZ")["api"], HTTP_ACCEPT="application/pdf")

    assert found.status_code == 200
    assert found["Content-Type"] == "application/pdf"
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/json"


def test_the_page_shows_both_parts_with_their_language_and_direction(persona_world):
    walk_in = persona_world.people["walk_in"]
    walk_in.preferred_language = "ar"
    walk_in.save(update_fields=["preferred_language"])
    reference = persona_world.appointments["walk_in"].reference

    html = _get(persona_world.users["mediator"], "page", reference).content.decode()

    assert 'lang="fr" dir="ltr"' in html
    assert 'lang="ar" dir="rtl"' in html
    assert _in("ar", "Booking an appointment is free.") in html
    assert re.search(r'<svg role="img" aria-label="[^"]+"[^>]*viewBox', html)
    assert reverse("booking:convocation_pdf", args=[reference]) in html


def test_the_appointment_page_links_to_the_convocation(persona_world):
    applicant = persona_world.users["applicant"]
    reference = persona_world.appointments["own"].reference

    html = (
        login(Client(), applicant)
        .get(reverse("booking:appointment_detail", args=[reference]))
        .content.decode()
    )

    assert reverse("booking:convocation", args=[reference]) in html


# --- Audit and rate limit -------------------------------------------------------------


def _printed() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditAction.CONVOCATION_PRINTED))


@pytest.mark.parametrize("kind", KINDS)
def test_a_mediator_printing_for_someone_is_audited_with_the_point(persona_world, kind):
    mediator = persona_world.users["mediator"]
    appointment = persona_world.appointments["walk_in"]

    _get(mediator, kind, appointment.reference)

    (row,) = _printed()
    assert row.actor_id == mediator.pk
    assert row.appointment_id == appointment.pk
    assert row.applicant_id == appointment.applicant_id
    assert row.details == {"form": kind, "access_point": persona_world.points["point"].pk}


def test_an_agent_printing_is_audited_too(persona_world):
    _get(persona_world.users["agent"], "pdf", persona_world.appointments["own"].reference)

    (row,) = _printed()
    assert row.details == {"form": "pdf", "access_point": None}


def test_the_persons_own_copy_and_a_refusal_are_not_audited(persona_world):
    reference = persona_world.appointments["own"].reference
    for kind in KINDS:
        _get(persona_world.users["applicant"], kind, reference)
        _get(persona_world.users["mediator"], kind, reference)  # not theirs: 404

    assert _printed() == []


@override_settings(RATELIMITS={"convocation": {"account": (2, 3600), "ip": (100, 3600)}})
def test_convocations_are_rate_limited_per_account(persona_world):
    applicant = persona_world.users["applicant"]
    reference = persona_world.appointments["own"].reference
    cache.clear()
    client = login(Client(), applicant)
    api = token_client(applicant)

    assert client.get(_urls(reference)["page"]).status_code == 200
    assert client.get(_urls(reference)["pdf"]).status_code == 200
    assert client.get(_urls(reference)["pdf"]).status_code == 429
    limited = api.get(_urls(reference)["api"])
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
