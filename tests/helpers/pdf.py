"""Reading back the PDFs Guichet writes (core.pdf): their text, their QR codes, and the
Arabic glyphs they draw (to tell shaped text from unshaped)."""

from __future__ import annotations

import io
from functools import cache

import pypdfium2 as pdfium
import zxingcpp
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from core.pdf import FONTS_DIR


def page_texts(pdf: bytes) -> list[str]:
    """The text of each page (pdfium's extraction: in reading order, shaped text mapped back)."""
    document = pdfium.PdfDocument(pdf)
    return [page.get_textpage().get_text_range() for page in document]


def text_of(pdf: bytes) -> str:
    return "\n".join(page_texts(pdf))


def decoded_qr_codes(pdf: bytes, page: int = 0) -> list[str]:
    """What the QR codes drawn on ``page`` hold, read from the page rendered as an image."""
    image = pdfium.PdfDocument(pdf)[page].render(scale=3).to_pil()
    return [result.text for result in zxingcpp.read_barcodes(image)]


def _outline(font: TTFont, name: str) -> tuple:
    coordinates, ends, flags = font["glyf"][name].getCoordinates(font["glyf"])
    return tuple(map(tuple, coordinates)), tuple(ends), tuple(flags)


@cache
def _naskh_names_by_outline() -> dict[tuple, frozenset[str]]:
    names: dict[tuple, set[str]] = {}
    for weight in ("Regular", "Bold"):
        original = TTFont(FONTS_DIR / f"NotoNaskhArabic-{weight}.ttf")
        for name in original.getGlyphOrder():
            names.setdefault(_outline(original, name), set()).add(name)
    return {outline: frozenset(glyphs) for outline, glyphs in names.items()}


def arabic_glyph_names(pdf: bytes) -> set[str]:
    """The names, in the vendored Noto Naskh Arabic, of the glyphs embedded in ``pdf``.

    fpdf2 embeds a subset of the font with renumbered, unnamed glyphs: each is
    matched to the original font's glyph of the same outline. A contextual form
    is named after its presentation form (``uniFEE3``: meem, initial); an
    isolated letter after its code point (``uni0645``).
    """
    names_by_outline = _naskh_names_by_outline()
    names: set[str] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            if "NotoNaskhArabic" not in font["/BaseFont"]:
                continue
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            subset = TTFont(io.BytesIO(descriptor["/FontFile2"].get_data()))
            for name in subset.getGlyphOrder():
                names |= names_by_outline.get(_outline(subset, name), frozenset())
    return names
