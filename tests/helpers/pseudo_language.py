"""A pseudo-Arabic translation, for the tests of what a right-to-left, non-Latin
language does to messages before its real catalogue exists.

``pseudo_arabic(settings)`` adds ``ar`` to ``settings.LANGUAGES`` (the
pytest-django fixture, which restores it) and makes Django translate every
string into Arabic letters of the same length, placeholders kept: the length
of the English text, in the alphabet that makes an SMS UCS-2. Dates and numbers
use Django's own Arabic formats. Once ``ar`` is a language of the project, the
helper steps aside and the tests meet the real catalogue.
"""

from __future__ import annotations

import re

from django.utils.translation import trans_real

_PLACEHOLDER = re.compile(r"(%\(\w+\)[sd]|%[sd]|\{\w*\})")
_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"


def arabise(message: str) -> str:
    """``message`` with each Latin letter outside its placeholders made Arabic."""
    parts = _PLACEHOLDER.split(message)
    for i in range(0, len(parts), 2):  # the even parts are text, the odd ones placeholders
        parts[i] = "".join(
            _LETTERS[ord(c.lower()) % len(_LETTERS)] if c.isascii() and c.isalpha() else c
            for c in parts[i]
        )
    return "".join(parts)


class _PseudoArabic(trans_real.DjangoTranslation):
    def gettext(self, message: str) -> str:
        # A context's separator must survive, for pgettext to see a miss.
        return message if trans_real.CONTEXT_SEPARATOR in message else arabise(message)

    def ngettext(self, singular: str, plural: str, number: int) -> str:
        return arabise(singular if number == 1 else plural)


def pseudo_arabic(settings) -> bool:
    """Install pseudo-Arabic as ``ar``; False (nothing done) when the project
    has Arabic already."""
    if "ar" in {code for code, _name in settings.LANGUAGES}:
        return False
    # Changing LANGUAGES empties Django's cache of translations: fill it after.
    settings.LANGUAGES = [*settings.LANGUAGES, ("ar", "Arabic")]
    trans_real._translations["ar"] = _PseudoArabic("ar")
    return True
