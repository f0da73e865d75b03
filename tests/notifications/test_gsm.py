"""SMS in GSM-7 when their script is Latin, in UCS-2 otherwise, and what they cost.

That every SMS template fits ``SMS_MAX_SEGMENTS`` in every language: test_sms_fit.py.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from notifications import gsm
from notifications.rendering import render


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
        # Arabic is UCS-2: 70 characters in one SMS, 67 per segment of a longer one.
        ("ب" * 70, 1),
        ("ب" * 71, 2),
        ("ب" * 134, 2),
        ("ب" * 135, 3),
        ("ب" * 201, 3),
        ("ب" * 202, 4),
        # An emoji is two UTF-16 code units.
        ("\U0001f600" * 35, 1),
        ("\U0001f600" * 35 + "ب", 2),
        # A character is never cut in two at a segment's end: it moves whole.
        ("ب" * 66 + "\U0001f600" + "ب" * 66, 3),  # 134 units, yet 66 + 67 + 1
        ("a" * 152 + "€" + "a" * 152, 3),  # 306 septets, yet 152 + 153 + 1
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


def test_a_latin_text_is_sent_transliterated_in_gsm7():
    text = gsm.sms_text("Rendez-vous à l\u2019accueil, fenêtre 3")

    assert text == "Rendez-vous à l'accueil, fenetre 3"
    assert gsm.encoding(text) == "GSM-7"


def test_an_arabic_text_is_sent_as_it_is_in_ucs2():
    # Transliterating its Latin part would lose the accent and save nothing.
    arabic = "موعدك في المحافظة، الشباك ٣، تأكيد: https://rdv.example.fr/fenêtre/"

    assert gsm.sms_text(arabic) == arabic
    assert gsm.encoding(arabic) == "UCS-2"


def test_a_latin_text_with_a_name_no_transliteration_fixes_goes_whole_in_ucs2():
    text = gsm.sms_text("Rendez-vous de Дмитрий, l\u2019œuvre")

    assert text == "Rendez-vous de Дмитрий, l\u2019œuvre"
    assert gsm.encoding(text) == "UCS-2"


def test_truncation_cuts_at_a_word_and_keeps_the_link_whole():
    link = "https://rdv.seine-saint-denis.gouv.fr/appointments/ABCD2345/cancel/"
    text = "موعد " * 60 + "للإلغاء: " + link

    cut = gsm.truncate(text, max_segments=2)

    assert gsm.segments(cut) <= 2
    assert cut.endswith("\u2026 " + link)
    assert cut.startswith("موعد موعد")
    assert all(word == "موعد" for word in cut.split("\u2026")[0].split())


def test_truncation_leaves_a_text_that_fits_alone():
    assert gsm.truncate("a" * 306, max_segments=2) == "a" * 306


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
}


def test_french_sms_is_in_french():
    text = render(key="appointment_booked", channel="sms", language="fr", context=CONTEXT).text
    assert text.startswith("Guichet : RDV ABCD2345 confirmé le 14/12/2026 à 09:40")


def test_english_email_is_in_english():
    rendered = render(key="appointment_booked", channel="email", language="en", context=CONTEXT)
    assert rendered.subject == "Your appointment ABCD2345 is confirmed"
    assert "Monday 14 December 2026, 09:40" in rendered.text
    assert "<li>Passeport</li>" in rendered.html
