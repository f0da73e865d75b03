"""The .ics of an appointment: RFC 5545 folding and escaping, the download."""

from __future__ import annotations

import re
from datetime import UTC
from email.utils import parseaddr

import pytest
from django.conf import settings
from django.urls import reverse

from booking.ics import appointment_ics, fold_line
from booking.models import Appointment, AppointmentStatus
from tests import factories
from tests.helpers.booking_pages import book

pytestmark = pytest.mark.django_db


# --- .ics ------------------------------------------------------------------------------------


def _unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def _unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _properties(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in _unfold(text):
        if line:
            name, _, value = line.partition(":")
            found.setdefault(name, []).append(value)
    return found


@pytest.fixture
def tricky_appointment(applicant):
    site = factories.SiteFactory(
        name="Préfecture; accueil, étrangers \\ bâtiment B",
        address="1 esplanade Jean Moulin",
        access_info="Métro ligne 5, arrêt « Bobigny - Pablo Picasso », puis 5 minutes à pied.",
    )
    procedure = factories.ProcedureFactory(
        name="Renouvellement de titre de séjour",
        documents_to_bring=(
            "Passeport en cours de validité (toutes les pages tamponnées, visas, cachets)\n"
            "Justificatif de domicile de moins de 3 mois; facture, quittance\n"
            "3 photos d'identité conformes aux normes ISO/IEC 19794-5:2005"
        ),
    )
    slot = factories.SlotFactory(site=site, procedure=procedure)
    return book(applicant, slot)


def test_ics_is_rfc5545_with_crlf_folding_and_escaping(tricky_appointment):
    appointment = Appointment.objects.select_related("slot__site", "procedure").get(
        pk=tricky_appointment.pk
    )

    text = appointment_ics(appointment)

    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    raw_lines = text.split("\r\n")[:-1]
    assert all(len(line.encode("utf-8")) <= 75 for line in raw_lines)
    assert any(line.startswith(" ") for line in raw_lines)  # something was folded
    props = _properties(text)
    assert props["BEGIN"] == ["VCALENDAR", "VEVENT"]
    assert props["END"] == ["VEVENT", "VCALENDAR"]
    assert props["VERSION"] == ["2.0"]
    assert props["UID"] == [f"{appointment.reference}@guichet"]
    slot = appointment.slot
    assert props["DTSTART"] == [slot.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")]
    assert props["DTEND"] == [slot.ends_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")]
    assert re.fullmatch(r"\d{8}T\d{6}Z", props["DTSTAMP"][0])
    assert props["STATUS"] == ["CONFIRMED"]
    assert props["METHOD"] == ["PUBLISH"]
    assert props["ORGANIZER"] == [f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}"]
    location = props["LOCATION"][0]
    assert "\\;" in location and "\\," in location and "\\\\" in location
    assert _unescape(location) == f"{slot.site.name}, {slot.site.full_address}"
    description = _unescape(props["DESCRIPTION"][0])
    assert appointment.reference in description
    for document in appointment.procedure.document_list:
        assert f"- {document}" in description
    assert "Renouvellement de titre de séjour" in _unescape(props["SUMMARY"][0])


def test_ics_folding_never_splits_a_character():
    line = "DESCRIPTION:" + "é" * 100 + "€" * 40

    folded = fold_line(line)

    parts = folded.split("\r\n")
    assert all(len(part.encode("utf-8")) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert "".join([parts[0], *(part[1:] for part in parts[1:])]) == line


def test_ics_of_a_cancelled_appointment_says_cancelled(applicant, slot):
    appointment = book(applicant, slot)
    Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.CANCELLED)
    appointment.refresh_from_db()

    assert "STATUS:CANCELLED\r\n" in appointment_ics(appointment)


def test_ics_download(logged_in, applicant, slot):
    appointment = book(applicant, slot)

    response = logged_in.get(reverse("booking:appointment_ics", args=[appointment.reference]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert f"UID:{appointment.reference}@guichet\r\n" in response.content.decode()
