"""core.pdf: the PDF builder's text, metadata, QR code, right-to-left layout and shaping."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops, ImageOps
from pypdf import PdfReader

from core.pdf import Document, is_rtl, isolate_ltr_runs
from tests.helpers.pdf import arabic_glyph_names, decoded_qr_codes, page_texts, text_of

# "Muhammad": four letters that all join, so none is drawn in its isolated form.
ARABIC_WORD = "محمد"
ISOLATED_FORMS = {"uni0645", "uni062D", "uni062F"}  # meem, hah, dal alone
CONTEXTUAL_FORMS = {"uniFEE3", "uniFEA4", "uniFEE4", "uniFEAA"}  # meem·, ·hah·, ·meem·, ·dal


def first_char_box(pdf: bytes, needle: str) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) in points of the text line holding ``needle``."""
    textpage = pdfium.PdfDocument(pdf)[0].get_textpage()
    searcher = textpage.search(needle)
    found = searcher.get_next()
    assert found, f"{needle!r} not found"
    index, count = found
    boxes = [textpage.get_charbox(i) for i in range(index, index + count)]
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def test_every_block_writes_its_text():
    doc = Document(language="fr", title="Essai")
    doc.heading("Titre principal").heading("Sous-titre", level=2)
    doc.paragraph("Un paragraphe avec des accents : é, à, ç.")
    doc.bullets(["Passeport", "Justificatif de domicile"])
    doc.key_values([("Référence", "GCH-7K3P-92QX"), ("Lieu", "12 rue de la Paix\n75002 Paris")])
    doc.table(["Semaine", "Recherches"], [["2026-W49", "3"], ["2026-W50", "0"]])
    doc.rule().space().code("ABCD-1234")

    text = text_of(doc.output())

    for expected in (
        "Titre principal",
        "Sous-titre",
        "Un paragraphe avec des accents : é, à, ç.",
        "Passeport",
        "Justificatif de domicile",
        "Référence",
        "GCH-7K3P-92QX",
        "75002 Paris",
        "Semaine",
        "2026-W50",
        "ABCD-1234",
    ):
        assert expected in text


def test_text_is_not_markup():
    doc = Document(language="fr", title="t").paragraph("**gras** <b>x</b> --barré--")

    assert "**gras** <b>x</b> --barré--" in text_of(doc.output())


def test_metadata_title_and_language():
    pdf = Document(language="ar", title="Convocation GCH-1").paragraph("x").output()

    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata.title == "Convocation GCH-1"
    assert reader.trailer["/Root"]["/Lang"] == "ar"


def test_output_is_a_pdf_with_the_fonts_embedded_and_no_file_left():
    pdf = Document(language="fr", title="t").paragraph("Bonjour").output()

    assert pdf.startswith(b"%PDF-")
    assert b"/FontFile2" in pdf


def test_qr_code_decodes_to_its_data():
    doc = Document(language="fr", title="t").paragraph("Avant").qr("GCH-7K3P-92QX")

    assert decoded_qr_codes(doc.output()) == ["GCH-7K3P-92QX"]


def test_qr_code_in_a_right_to_left_part_decodes_too():
    doc = Document(language="ar", title="t").paragraph("قبل").qr("https://example.org/v/AB12", 30)

    assert decoded_qr_codes(doc.output()) == ["https://example.org/v/AB12"]


def test_arabic_is_shaped_into_contextual_forms():
    pdf = Document(language="ar", title="t").paragraph(ARABIC_WORD).output()

    names = arabic_glyph_names(pdf)
    assert names >= CONTEXTUAL_FORMS
    assert not names & ISOLATED_FORMS


def test_arabic_name_in_a_french_document_is_shaped_too():
    doc = Document(language="fr", title="t").key_values([("Nom", f"{ARABIC_WORD} BENALI")])

    names = arabic_glyph_names(doc.output())
    assert names >= CONTEXTUAL_FORMS
    assert not names & ISOLATED_FORMS


def test_right_to_left_text_is_right_aligned_and_left_to_right_text_left_aligned():
    pdf = (
        Document(language="fr", title="t")
        .paragraph("Bonjour")
        .part("ar")
        .paragraph("مرحبا بكم")
        .output()
    )
    page_width = pdfium.PdfDocument(pdf)[0].get_width()
    margin = Document.margin / 25.4 * 72

    left, _, _, _ = first_char_box(pdf, "Bonjour")
    _, _, right, _ = first_char_box(pdf, "مرحبا")
    assert left == pytest.approx(margin, abs=4)
    assert right == pytest.approx(page_width - margin, abs=4)


def test_latin_fragments_keep_their_order_in_arabic_text():
    doc = Document(language="ar", title="t")
    doc.paragraph("العنوان: 12 rue de la Paix, 75002 Paris")
    doc.paragraph("الموعد 2026-12-10 الساعة 09:30")
    doc.key_values([("المرجع", "GCH-7K3P-92QX")])

    text = text_of(doc.output())

    # Without isolation the bidirectional algorithm draws "rue de la Paix, 75002
    # Paris 12" and "10-12-2026".
    assert "12 rue de la Paix, 75002 Paris" in text
    assert "2026-12-10" in text
    assert "09:30" in text
    assert "GCH-7K3P-92QX" in text


def test_a_bullet_before_arabic_text_does_not_garble_the_next_line():
    # fpdf2 2.8.9 forgot the page's font after a line starting in the fallback font.
    doc = Document(language="ar", title="t").bullets(["جواز سفر", "إثبات السكن"])
    doc.paragraph("الحجز مجاني")

    text = text_of(doc.output())

    assert "جواز سفر" in text
    assert "إثبات السكن" in text
    assert "الحجز مجاني" in text


def test_parts_in_two_languages_on_two_pages():
    doc = Document(language="fr", title="Convocation").heading("Convocation")
    doc.part("ar", new_page=True).heading("استدعاء")

    first, second = page_texts(doc.output())

    assert "Convocation" in first
    assert "استدعاء" in second


def test_long_tables_repeat_their_header_on_each_page():
    rows = [[f"2026-W{n:02d}", str(n)] for n in range(1, 90)]
    pdf = Document(language="fr", title="t").table(["Semaine", "Recherches"], rows).output()

    pages = page_texts(pdf)
    assert len(pages) > 1
    assert all("Semaine" in page for page in pages)
    assert "2026-W89" in pages[-1]


@pytest.mark.parametrize(
    ("language", "rtl"),
    [("ar", True), ("ar-ma", True), ("he", True), ("fa", True), ("fr", False), ("en", False)],
)
def test_is_rtl(language, rtl):
    assert is_rtl(language) is rtl


def test_isolate_ltr_runs():
    lri, pdi = "\u2066", "\u2069"

    assert isolate_ltr_runs("العنوان: 12 rue X") == f"العنوان: {lri}12 rue X{pdi}"
    assert isolate_ltr_runs("يوم 2026-12-10.") == f"يوم {lri}2026-12-10{pdi}."
    assert isolate_ltr_runs("(facture EDF) لا") == f"{lri}(facture EDF){pdi} لا"
    assert isolate_ltr_runs("رقم (AGDREF) 93001.") == f"رقم {lri}(AGDREF) 93001{pdi}."
    assert isolate_ltr_runs("سطر\nline, here.") == f"سطر\n{lri}line, here.{pdi}"
    assert isolate_ltr_runs("Tout en français.") == f"{lri}Tout en français.{pdi}"
    assert isolate_ltr_runs("بدون") == "بدون"


def word_image(pdf: bytes, word: str) -> Image.Image:
    """``word`` as drawn on the first page: its ink, cropped, in grey levels."""
    page = pdfium.PdfDocument(pdf)[0]
    textpage = page.get_textpage()
    index, count = textpage.search(word).get_next()
    boxes = [textpage.get_charbox(i) for i in range(index, index + count)]
    scale, height = 4, page.get_height()
    left, right = min(b[0] for b in boxes) - 2, max(b[2] for b in boxes) + 2
    bottom, top = min(b[1] for b in boxes) - 2, max(b[3] for b in boxes) + 2
    image = ImageOps.invert(page.render(scale=scale, grayscale=True).to_pil().convert("L"))
    area = image.crop(
        (
            int(left * scale),
            int((height - top) * scale),
            int(right * scale),
            int((height - bottom) * scale),
        )
    )
    return area.crop(area.getbbox())


def test_latin_words_in_an_arabic_part_are_drawn_as_in_a_french_one():
    # Shaped as Arabic script, "fi" ligatures were drawn out of place: "Justfiicatfi".
    french = Document(language="fr", title="t").paragraph("Justificatif").output()
    arabic = Document(language="ar", title="t").paragraph("كلمة Justificatif").output()

    drawn_in_french, drawn_in_arabic = (
        word_image(french, "Justificatif"),
        word_image(arabic, "Justificatif"),
    )

    assert drawn_in_arabic.size == drawn_in_french.size
    assert ImageChops.difference(drawn_in_arabic, drawn_in_french).getbbox() is None


def test_a_latin_line_in_an_arabic_part_keeps_its_punctuation_at_its_end():
    doc = Document(language="ar", title="t").paragraph("الوصول:\nMétro ligne 5, arrêt Bobigny.")

    assert "Métro ligne 5, arrêt Bobigny." in text_of(doc.output())
