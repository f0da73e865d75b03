"""A small PDF document builder: headings, paragraphs, lists, tables and a QR code.

Built on fpdf2 (pure Python) with vendored Noto fonts (``core/fonts/``, OFL): Noto
Sans for Latin, Greek and Cyrillic, Noto Naskh Arabic for Arabic; each falls back on
the other, so an Arabic name in a French document or a reference in an Arabic one is
drawn. Text is shaped by HarfBuzz (``uharfbuzz``): Arabic letters take their joined,
contextual forms. No network and no file is touched at run time but the fonts.

The API (keyword arguments after the first ones are keyword-only)::

    from core.pdf import Document

    doc = Document(language="fr", title="Convocation")   # A4, portrait, metadata set
    doc.heading(text, level=1)       # level 1, 2 or 3, bold
    doc.paragraph(text, *, bold=False, size=None)   # wrapped; "\\n" starts a line
    doc.bullets(items)               # a bulleted list of strings
    doc.key_values(pairs)            # [(label, value), ...]: a two-column block
    doc.table(header, rows)          # header: [str], rows: [[str]]; bordered, the
                                     # header repeated on each page
    doc.qr(data, size_mm=35, *, alt_text=None)   # a QR code (segno) as an image
    doc.code(text, *, size=26)       # a reference or code shown large, left to right
    doc.rule()                       # a thin horizontal line
    doc.space(mm=4)                  # vertical space
    doc.new_page()
    doc.part(language, *, new_page=False)   # what follows is in another language
    doc.output() -> bytes            # the PDF

Every method returns the document, so calls may be chained. Values are plain text:
nothing is interpreted as markup.

Right to left: when the language (of the document, or of the current ``part``) is
written right to left (Arabic, Hebrew, Persian, Urdu...), text is right-aligned, laid
out by the Unicode bidirectional algorithm in a right-to-left paragraph, lists carry
their bullet on the right and tables and key/value blocks read from the right. Runs
of Latin letters and digits (a reference, an address, a time, a date like
2026-12-10) are isolated (U+2066 LEFT-TO-RIGHT ISOLATE ... U+2069) so that they read
as they are written, instead of being reordered around the Arabic words.

Metadata: the PDF's title (shown by readers instead of the file name), its language
(``/Lang``, the document's ``language``), creator and producer "Guichet".

Limits: only Latin, Greek, Cyrillic and Arabic script have glyphs (Hebrew is laid
out right to left but not drawn). A document costs about a quarter of a second of
CPU (the four fonts are parsed each time; only the glyphs used are embedded, a
two-page convocation weighs about 50 KB): views that serve one are rate-limited.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

import segno
from fpdf import FPDF
from fpdf.enums import TableBordersLayout
from fpdf.fonts import FontFace

__all__ = ["RTL_LANGUAGES", "Document", "is_rtl"]

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
_LATIN = "notosans"
_ARABIC = "notonaskharabic"
_FONT_FILES = {
    (_LATIN, ""): "NotoSans-Regular.ttf",
    (_LATIN, "B"): "NotoSans-Bold.ttf",
    (_ARABIC, ""): "NotoNaskhArabic-Regular.ttf",
    (_ARABIC, "B"): "NotoNaskhArabic-Bold.ttf",
}

# Written right to left (the primary subtag of a language code).
RTL_LANGUAGES = frozenset(
    {"ar", "arc", "ckb", "dv", "fa", "he", "ks", "ku", "ps", "sd", "ug", "ur", "yi"}
)
# The languages whose script the vendored Arabic font draws (its OpenType tags).
_ARABIC_SCRIPT = {"ar": "ara", "fa": "far", "ur": "urd", "ps": "pas", "ckb": "kur", "ug": "uyg"}

_SIZES = {"body": 11.0, 1: 19.0, 2: 14.5, 3: 12.5}
_TEXT = (22, 22, 22)
_MUTED = (102, 102, 102)
_LINE = (160, 160, 160)
_HEADER_FILL = (236, 236, 254)
_MM_PER_PT = 0.3528

_LRI, _PDI = "\u2066", "\u2069"
_STRONG_LTR = frozenset({"L", "EN"})
_STRONG_RTL = frozenset({"R", "AL", "AN"})


def is_rtl(language: str) -> bool:
    """Whether ``language`` (a code like "ar" or "ar-ma") is written right to left."""
    return language.lower().replace("_", "-").split("-")[0] in RTL_LANGUAGES


def isolate_ltr_runs(text: str) -> str:
    """Wrap each run of Latin letters and digits (with the spaces and punctuation
    between them) in LEFT-TO-RIGHT ISOLATE ... POP DIRECTIONAL ISOLATE.

    In a right-to-left paragraph, "12 rue de la Paix" or "2026-12-10" then reads
    as written instead of being reordered by the bidirectional algorithm. A line
    without any right-to-left letter is isolated whole, its punctuation with it
    (a French address, a list of documents); brackets go with the run they
    enclose ("(AGDREF) 93..." keeps its parentheses around AGDREF).
    """
    return "\n".join(_isolate_line(line) for line in text.split("\n"))


_OPENING = {"(": ")", "[": "]", "«": "»"}
_CLOSING = {closing: opening for opening, closing in _OPENING.items()}


def _isolate_line(line: str) -> str:
    classes = [unicodedata.bidirectional(char) for char in line]
    if not any(cls in _STRONG_LTR for cls in classes):
        return line
    if not any(cls in _STRONG_RTL for cls in classes):
        return _LRI + line + _PDI
    out: list[str] = []
    i, n = 0, len(line)
    while i < n:
        if classes[i] not in _STRONG_LTR:
            out.append(line[i])
            i += 1
            continue
        # A run starts here: over neutrals, up to the last left-to-right character
        # before the next right-to-left one (or the end of the line).
        end = j = i
        while j < n and classes[j] not in _STRONG_RTL:
            if classes[j] in _STRONG_LTR:
                end = j
            j += 1
        start = i
        # Brackets: a closing one that ends what the run opened, and an opening one
        # just before the run that the run closes, belong to it.
        while end + 1 < n and line[end + 1] in _CLOSING and _unclosed(line[start : end + 1]):
            end += 1
        if out and out[-1] in _OPENING:
            closing = _OPENING[out[-1]]
            if _unopened(line[start : end + 1]):
                start -= 1
                out.pop()
            elif end + 1 < n and line[end + 1] == closing:  # "(facture EDF)"
                start, end = start - 1, end + 1
                out.pop()
        out.append(_LRI + line[start : end + 1] + _PDI)
        i = end + 1
    return "".join(out)


def _unclosed(run: str) -> bool:
    return sum(run.count(o) for o in _OPENING) > sum(run.count(c) for c in _CLOSING)


def _unopened(run: str) -> bool:
    return sum(run.count(c) for c in _CLOSING) > sum(run.count(o) for o in _OPENING)


def _qr_png(data: str) -> io.BytesIO:
    """The QR code of ``data`` as a PNG in memory (quiet zone included)."""
    buffer = io.BytesIO()
    segno.make(data, error="m", micro=False).save(buffer, kind="png", scale=10, border=4)
    buffer.seek(0)
    return buffer


class _PDF(FPDF):
    """FPDF with a footer: the document's title and the page number."""

    footer_text = ""
    footer_rtl = False

    def _set_font_for_page(self, font, font_size_pt, wrap_in_text_object=True):  # type: ignore[no-untyped-def]
        # fpdf2 2.8.9: when a line's first fragment is drawn in a fallback font (a
        # reference at the start of an Arabic line, a bullet), it sets the page's font
        # inside the line's q ... Q block, which forgets it, yet takes it as set: the
        # next text would be drawn with the fallback font's glyph ids. Set it on the
        # page itself first.
        if not wrap_in_text_object and not self.current_font_is_set_on_page:
            self._out(super()._set_font_for_page(font, font_size_pt))
        return super()._set_font_for_page(font, font_size_pt, wrap_in_text_object)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(_LATIN, size=8)
        self.set_text_color(*_MUTED)
        text = f"{self.footer_text} — {self.page_no()}/{{nb}}" if self.footer_text else ""
        self.cell(0, 5, text, align="L" if self.footer_rtl else "R")
        self.set_text_color(*_TEXT)


class Document:
    """A PDF being built; see the module's docstring for the API."""

    margin = 18.0

    def __init__(self, language: str, title: str) -> None:
        self.language = language
        self.title = title
        pdf = _PDF(orientation="portrait", unit="mm", format="A4")
        pdf.set_margins(self.margin, self.margin, self.margin)
        pdf.set_auto_page_break(auto=True, margin=self.margin)
        for (family, style), filename in _FONT_FILES.items():
            pdf.add_font(family, style, str(FONTS_DIR / filename))
        pdf.set_title(title)
        pdf.set_lang(language)
        pdf.set_creator("Guichet")
        pdf.set_producer("Guichet")
        pdf.set_display_mode(zoom="fullwidth")
        pdf.footer_text = title
        pdf.set_text_color(*_TEXT)
        self._pdf = pdf
        self._set_language(language)
        pdf.add_page()

    # -- language and direction ---------------------------------------------

    def _set_language(self, language: str) -> None:
        self._part_language = language
        self._rtl = is_rtl(language)
        primary = language.lower().replace("_", "-").split("-")[0]
        self._family = _ARABIC if primary in _ARABIC_SCRIPT else _LATIN
        fallback = _LATIN if self._family == _ARABIC else _ARABIC
        self._pdf.set_fallback_fonts([fallback], exact_match=False)
        if self._rtl:
            ot_language = _ARABIC_SCRIPT.get(primary)
            self._pdf.set_text_shaping(
                use_shaping_engine=True,
                direction="rtl",
                script=None,  # guessed per run: "arab" would shape Latin runs wrongly (fi)
                language=ot_language,
            )
        else:
            self._pdf.set_text_shaping(use_shaping_engine=True, direction="ltr")
        self._pdf.footer_rtl = self._rtl
        self._font()

    def part(self, language: str, *, new_page: bool = False) -> Document:
        """What follows is written in ``language`` (its direction, font and shaping)."""
        if new_page:
            self._pdf.add_page()
        self._set_language(language)
        return self

    @property
    def rtl(self) -> bool:
        """Whether the current part is written right to left."""
        return self._rtl

    def _text(self, text: object) -> str:
        text = str(text)
        return isolate_ltr_runs(text) if self._rtl else text

    @property
    def _align(self) -> str:
        return "R" if self._rtl else "L"

    def _font(self, *, bold: bool = False, size: float | None = None) -> None:
        self._pdf.set_font(self._family, "B" if bold else "", size or _SIZES["body"])

    def _line_height(self, size: float) -> float:
        # Naskh's marks above and below the letters need more room than Latin.
        return size * _MM_PER_PT * (1.75 if self._family == _ARABIC else 1.45)

    # -- blocks --------------------------------------------------------------

    def heading(self, text: str, level: int = 1) -> Document:
        """A bold heading; level 1 (the largest), 2 or 3."""
        size = _SIZES.get(level, _SIZES[3])
        pdf = self._pdf
        pdf.ln(2 if level > 1 else 0)
        self._font(bold=True, size=size)
        pdf.multi_cell(
            0,
            self._line_height(size),
            self._text(text),
            align=self._align,
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(1.5)
        self._font()
        return self

    def paragraph(self, text: str, *, bold: bool = False, size: float | None = None) -> Document:
        """A paragraph, wrapped to the page's width; a newline starts a new line."""
        size = size or _SIZES["body"]
        self._font(bold=bold, size=size)
        self._pdf.multi_cell(
            0,
            self._line_height(size),
            self._text(text),
            align=self._align,
            new_x="LMARGIN",
            new_y="NEXT",
        )
        self._pdf.ln(2)
        self._font()
        return self

    def bullets(self, items: Iterable[str]) -> Document:
        """A bulleted list; the bullet on the right in a right-to-left part."""
        pdf = self._pdf
        indent = 6.0
        height = self._line_height(_SIZES["body"])
        width = pdf.epw - indent
        self._font()
        for item in items:
            text = self._text(item)
            lines = pdf.multi_cell(width, height, text, dry_run=True, output="LINES")
            if pdf.will_page_break(height * len(lines)):
                pdf.add_page()
            y = pdf.get_y()
            bullet_x = pdf.l_margin + pdf.epw - indent if self._rtl else pdf.l_margin
            text_x = pdf.l_margin if self._rtl else pdf.l_margin + indent
            pdf.set_xy(bullet_x, y)
            pdf.cell(indent, height, "•", align="C")
            pdf.set_xy(text_x, y)
            pdf.multi_cell(width, height, text, align=self._align, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(0.8)
        pdf.ln(1.5)
        return self

    def key_values(self, pairs: Iterable[tuple[str, str]]) -> Document:
        """Labels (bold) and their values, side by side; values may span lines."""
        rows = [(str(label), str(value)) for label, value in pairs]
        if not rows:
            return self
        widths = (35, 65)
        self._font()
        with self._pdf.table(
            col_widths=tuple(reversed(widths)) if self._rtl else widths,
            first_row_as_headings=False,
            borders_layout=TableBordersLayout.NONE,
            text_align=self._align,
            v_align="TOP",
            line_height=self._line_height(_SIZES["body"]),
            padding=(1, 1.5, 1, 0),
        ) as table:
            for label, value in rows:
                row = table.row()
                cells = [
                    (self._text(label), FontFace(emphasis="BOLD")),
                    (self._text(value), None),
                ]
                for text, style in reversed(cells) if self._rtl else cells:
                    row.cell(text, style=style)
        self._pdf.ln(2)
        return self

    def table(self, header: Sequence[str], rows: Iterable[Sequence[str]]) -> Document:
        """A bordered table; the header row is repeated at the top of each page."""
        header = [self._text(cell) for cell in header]
        body = [[self._text(cell) for cell in row] for row in rows]
        if self._rtl:
            header = header[::-1]
            body = [row[::-1] for row in body]
        self._font(size=10)
        with self._pdf.table(
            text_align=self._align,
            v_align="TOP",
            line_height=self._line_height(10),
            padding=1.5,
            headings_style=FontFace(emphasis="BOLD", fill_color=_HEADER_FILL),
            repeat_headings=1,
        ) as table:
            for row in [header, *body]:
                table.row(row)
        self._pdf.ln(3)
        self._font()
        return self

    def qr(self, data: str, size_mm: float = 35, *, alt_text: str | None = None) -> Document:
        """A QR code holding ``data`` (segno, error correction M), as an image."""
        pdf = self._pdf
        if pdf.will_page_break(size_mm):
            pdf.add_page()
        x = pdf.l_margin + pdf.epw - size_mm if self._rtl else pdf.l_margin
        pdf.image(
            _qr_png(data), x=x, y=pdf.get_y(), w=size_mm, h=size_mm, alt_text=alt_text or data
        )
        pdf.set_y(pdf.get_y() + size_mm + 2)
        return self

    def code(self, text: str, *, size: float = 26) -> Document:
        """A reference or code shown large, in bold, always left to right."""
        pdf = self._pdf
        pdf.set_font(_LATIN, "B", size)
        pdf.set_char_spacing(1.5)
        pdf.multi_cell(
            0,
            size * _MM_PER_PT * 1.3,
            _LRI + str(text) + _PDI if self._rtl else str(text),
            align=self._align,
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_char_spacing(0)
        pdf.ln(2)
        self._font()
        return self

    def rule(self) -> Document:
        """A thin horizontal line across the page."""
        pdf = self._pdf
        pdf.ln(1.5)
        pdf.set_draw_color(*_LINE)
        pdf.set_line_width(0.3)
        y = pdf.get_y()
        pdf.line(pdf.l_margin, y, pdf.l_margin + pdf.epw, y)
        pdf.ln(3.5)
        return self

    def space(self, mm: float = 4) -> Document:
        """Vertical space."""
        self._pdf.ln(mm)
        return self

    def new_page(self) -> Document:
        """Continue on a new page."""
        self._pdf.add_page()
        return self

    def output(self) -> bytes:
        """The PDF, as bytes."""
        return bytes(self._pdf.output())
