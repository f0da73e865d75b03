"""SMS text in the GSM 03.38 alphabet, and how many segments it takes.

A text of GSM-7 characters goes in 160 characters per SMS (153 per segment
when split); one character outside it turns the whole message into UCS-2,
70 characters (67 per segment). French needs only a few substitutions to stay
in GSM-7 (é, è, à, ù, É are in it; ê, â, î, ô, ç-capital, œ, the typographic apostrophe are not), so
SMS texts are transliterated rather than sent as UCS-2.
"""

from __future__ import annotations

import math
import unicodedata

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Characters of the extension table: each costs two septets (escape + char).
GSM7_EXTENDED = "^{}\\[~]|€\f"
_GSM7 = frozenset(GSM7_BASIC) | frozenset(GSM7_EXTENDED)

_REPLACEMENTS = {
    "\u2019": "'",
    "\u2018": "'",
    "\u02bc": "'",
    "\u201c": '"',
    "\u201d": '"',
    "«": '"',
    "»": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2026": "...",
    "\u00a0": " ",
    "\u202f": " ",
    "œ": "oe",
    "Œ": "OE",
    "æ": "ae",
    "ê": "e",
    "ë": "e",
    "â": "a",
    "î": "i",
    "ï": "i",
    "ô": "o",
    "û": "u",
    "ç": "Ç",  # GSM-7 only has the capital; phones show it fine in lower-case words
    "È": "E",
    "À": "A",
    "Ê": "E",
    "Ô": "O",
    "Î": "I",
    "Ù": "U",
    "Û": "U",
    "Â": "A",
}

SINGLE_GSM7 = 160
MULTI_GSM7 = 153
SINGLE_UCS2 = 70
MULTI_UCS2 = 67


def to_gsm7(text: str) -> str:
    """``text`` with every character GSM-7 can carry kept and the rest transliterated.

    A character with no sensible equivalent (a name in another script) is kept:
    the message then goes as UCS-2, longer but correct.
    """
    out: list[str] = []
    for char in text:
        if char in _GSM7:
            out.append(char)
        elif char in _REPLACEMENTS:
            out.append(_REPLACEMENTS[char])
        else:
            stripped = "".join(
                c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c)
            )
            out.append(stripped if stripped and all(c in _GSM7 for c in stripped) else char)
    return "".join(out)


def is_gsm7(text: str) -> bool:
    return all(char in _GSM7 for char in text)


def segments(text: str) -> int:
    """How many SMS segments ``text`` takes (what the operator bills)."""
    if is_gsm7(text):
        septets = sum(2 if char in GSM7_EXTENDED else 1 for char in text)
        return 1 if septets <= SINGLE_GSM7 else math.ceil(septets / MULTI_GSM7)
    # UCS-2 counts UTF-16 code units: a character outside the BMP takes two.
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= SINGLE_UCS2 else math.ceil(units / MULTI_UCS2)
