"""SMS text in the GSM 03.38 alphabet or in UCS-2, and how many segments it takes.

A text of GSM-7 characters goes in 160 characters per SMS (153 per segment
when split); one character outside it turns the whole message into UCS-2,
70 characters (67 per segment). French needs only a few substitutions to stay
in GSM-7 (é, è, à, ù, É are in it; ê, â, î, ô, ç-capital, œ, the typographic apostrophe are not), so
a text in a Latin script is transliterated rather than sent as UCS-2.

A text in another script (Arabic, Cyrillic...) cannot be GSM-7: it is sent as it
is, in UCS-2. So is a Latin text that transliteration cannot make GSM-7 (a name in
another script): once the message is UCS-2 anyway, transliterating the rest would
only lose accents without saving a character. ``sms_text`` makes that choice.
"""

from __future__ import annotations

import re
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
    if _GSM7.issuperset(text):
        return text  # most French texts once written for SMS: nothing to do
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
            out.append(stripped if stripped and _GSM7.issuperset(stripped) else char)
    return "".join(out)


def is_gsm7(text: str) -> bool:
    return _GSM7.issuperset(text)  # one call, not one per character


def sms_text(text: str) -> str:
    """``text`` as it is sent: transliterated to GSM-7 when that makes all of it
    GSM-7 (a Latin script), else unchanged, to go as UCS-2 (Arabic, or a name
    transliteration cannot fix)."""
    converted = to_gsm7(text)
    return converted if is_gsm7(converted) else text


def encoding(text: str) -> str:
    """``"GSM-7"`` or ``"UCS-2"``: the alphabet ``text`` is sent in."""
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def _units(text: str) -> list[int]:
    """What each character of ``text`` costs in its alphabet: septets in GSM-7
    (two for the extension table's escape), UTF-16 code units in UCS-2 (two
    for a character outside the Basic Multilingual Plane, an emoji)."""
    if is_gsm7(text):
        return [2 if char in GSM7_EXTENDED else 1 for char in text]
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def segments(text: str) -> int:
    """How many SMS segments ``text`` takes (what the operator bills).

    A split message is packed segment by segment without cutting a character
    in two (an escape and its character, a surrogate pair), as the operators
    do: such a character at a segment's end moves whole to the next one, so the
    count can exceed ``ceil(units / 153)`` (or ``/ 67``).
    """
    units = _units(text)
    single, multi = (SINGLE_GSM7, MULTI_GSM7) if is_gsm7(text) else (SINGLE_UCS2, MULTI_UCS2)
    if sum(units) <= single:
        return 1
    count, filled = 1, 0
    for cost in units:
        if filled + cost > multi:
            count, filled = count + 1, 0
        filled += cost
    return count


_LINK = re.compile(r"https?://\S+")


def truncate(text: str, *, max_segments: int) -> str:
    """``text`` cut at a word boundary to fit in ``max_segments``, its links whole.

    The last resort of ``rendering.render`` (which first shortens the names
    and addresses the text shows): words are dropped from the end, an ellipsis
    marks the cut, and the links among the dropped words follow it, whole. A
    text that fits is returned as it is.
    """
    if segments(text) <= max_segments:
        return text
    ellipsis = "..." if is_gsm7(text) else "\u2026"
    words = text.split(" ")
    for keep in range(len(words) - 1, -1, -1):
        kept = words[:keep]
        if kept and _LINK.match(kept[-1]):
            head = " ".join([*kept, ellipsis])  # nothing glued to a link
        else:
            head = " ".join(kept).rstrip(" ,;:") + ellipsis
        links = [word for word in words[keep:] if _LINK.match(word)]
        candidate = " ".join([head, *links])
        if segments(candidate) <= max_segments:
            return candidate
    # Not even the links fit (a budget of one segment and a very long address):
    # characters, then, rather than a message over the budget.
    while segments(text + ellipsis) > max_segments:
        text = text[:-1]
    return text + ellipsis
