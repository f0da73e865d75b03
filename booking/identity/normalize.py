"""Normalisation of what is compared between identities.

Names and document numbers are compared without case, accents, apostrophes or
extra spaces, so "Élodie  N'Diaye" and "ELODIE NDIAYE" are the same person (the
machine-readable zone of a passport drops apostrophes), "Jean-Paul" and
"JEAN PAUL" too, and "93 12 345 678" is the AGDREF number 9312345678.
"""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^A-Z0-9]+")
_APOSTROPHES = re.compile("['\u2018\u2019\u02bc\u0060\u00b4]")


def normalize_name(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", _APOSTROPHES.sub("", value))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("ß", "SS").replace("Æ", "AE").replace("æ", "AE")
    stripped = stripped.replace("Œ", "OE").replace("œ", "OE").replace("Ø", "O").replace("ø", "O")
    return _NON_ALNUM.sub(" ", stripped.upper()).strip()


def normalize_document_number(value: str) -> str:
    return normalize_name(value).replace(" ", "")


def identity_key(*, document_type: str, document_number: str, nationality: str) -> str:
    """The key that says two records are the same person.

    An AGDREF number is unique in France; a passport number only within the
    issuing country, so the nationality is part of its key.
    """
    number = normalize_document_number(document_number)
    if document_type == "agdref":
        return f"agdref:{number}"
    return f"passport:{nationality.upper()}:{number}"


_AGDREF = re.compile(r"^[0-9]{10}$")
_PASSPORT = re.compile(r"^[A-Z0-9]{6,12}$")


def document_number_error(document_type: str, document_number: str) -> str | None:
    """Why the number is not valid for its type, or None. Messages are lazy-translated."""
    from django.utils.translation import gettext as _

    number = normalize_document_number(document_number)
    if document_type == "agdref" and not _AGDREF.match(number):
        return _("A foreigner number (AGDREF) has exactly 10 digits.")
    if document_type == "passport" and not _PASSPORT.match(number):
        return _("A passport number has 6 to 12 letters and digits.")
    if document_type not in ("agdref", "passport"):
        return _("Choose a foreigner number or a passport.")
    return None
