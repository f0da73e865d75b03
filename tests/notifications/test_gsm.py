"""SMS stay in GSM-7 and within one or two segments."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from notifications import gsm
from notifications.rendering import render
from notifications.services import NEW_SLOTS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # extension table: two septets each
        ("€" * 81, 2),
        ("é" * 160, 1),  # é is in GSM-7
        ("ê" * 70, 1),  # ê is not: UCS-2
        ("ê" * 71, 2),
        ("ê" * 134, 2),
        ("ê" * 135, 3),
    ],
)
def test_segment_counts(text, expected):
    assert gsm.segments(text) == expected


def test_transliteration_keeps_french_in_gsm7():
    text = "Rendez-vous à l\u2019accueil : « pièce d\u2019identité », cœur, fenêtre, Île, garçon…"

    converted = gsm.to_gsm7(text)

    assert gsm.is_gsm7(converted)
    assert converted == (
        "Rendez-vous à l'accueil : \" pièce d'identité \", coeur, fenetre, Ile, garÇon..."
    )


def test_a_script_gsm7_cannot_carry_is_kept():
    assert gsm.to_gsm7("Дмитрий") == "Дмитрий"


class _Site:
    name = "Sous-préfecture du Raincy"
    full_address = "4 allée de Montfermeil, 93340 Le Raincy"


class _Procedure:
    name = "Renouvellement de titre de séjour pluriannuel"
    slug = "renouvellement-titre-sejour"
    document_list = ["Passeport", "Justificatif de domicile"]


CONTEXT = {
    "reference": "ABCD2345",
    "procedure": _Procedure(),
    "site": _Site(),
    "starts_at": datetime(2026, 12, 14, 9, 40, tzinfo=ZoneInfo("Europe/Paris")),
    "documents": _Procedure.document_list,
    "cancel_url": "https://rdv.seine-saint-denis.gouv.fr/appointments/ABCD2345/cancel/",
    "detail_url": "https://rdv.seine-saint-denis.gouv.fr/appointments/ABCD2345/",
    "book_url": "https://rdv.seine-saint-denis.gouv.fr/book/renouvellement-titre-sejour/",
    "unsubscribe_url": "https://rdv.seine-saint-denis.gouv.fr/notifications/alerts/stop/"
    "12345:wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEYab/",
}


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(
    "key",
    [
        "appointment_booked",
        "appointment_cancelled",
        "appointment_rescheduled",
        "appointment_reminder",
        NEW_SLOTS,
    ],
)
def test_every_sms_is_gsm7_in_at_most_two_segments(key, language):
    text = render(key=key, channel="sms", language=language, context=CONTEXT).text

    assert gsm.is_gsm7(text), text
    assert gsm.segments(text) <= 2, (len(text), text)
    assert "\n" not in text


def test_french_sms_is_in_french():
    text = render(key="appointment_booked", channel="sms", language="fr", context=CONTEXT).text
    assert text.startswith("Guichet : RDV ABCD2345 confirmé le 14/12/2026 à 09:40")


def test_english_email_is_in_english():
    rendered = render(key="appointment_booked", channel="email", language="en", context=CONTEXT)
    assert rendered.subject == "Your appointment ABCD2345 is confirmed"
    assert "Monday 14 December 2026, 09:40" in rendered.text
    assert "<li>Passeport</li>" in rendered.html
