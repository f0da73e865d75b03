"""What the prefecture writes in French, and references, in a page of another
language (RGAA 8.7: language changes marked; 8.10: direction changes marked).

Names of procedures, places and access points, addresses, descriptions and
access notes are entered in French. In a French page they are as they are. In
another language they are marked ``lang="fr"`` so that a screen reader reads
them with a French voice, and in a right-to-left page (Arabic) also
``dir="ltr"``, which isolates them from the sentence around them. A reference
(Latin letters and digits) is marked left to right in a right-to-left page.

Templates use ``|fr``, ``|ltr`` and ``{% fr_attrs %}``
(``core/templatetags/data_language.py``); forms whose choices are such names
use the widgets below. ``tests/browser/test_accessibility.py`` checks every
page it visits in Arabic (``tests/helpers/data_language.py``).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, get_language_bidi

DATA_LANGUAGE = "fr"  # the language of what the prefecture enters


def _page_language() -> str:
    return (get_language() or settings.LANGUAGE_CODE).split("-")[0]


def french_attrs() -> dict[str, str]:
    """The attributes of an element holding only the prefecture's French, in
    the page's language now: none in French."""
    if _page_language() == DATA_LANGUAGE:
        return {}
    if get_language_bidi():
        return {"lang": DATA_LANGUAGE, "dir": "ltr"}
    return {"lang": DATA_LANGUAGE}


def french(value) -> SafeString:
    """``value`` (escaped), marked as the prefecture's French where the page is not."""
    if value in (None, ""):
        return SafeString("")
    attrs = french_attrs()
    if not attrs:
        return conditional_escape(value)
    if "dir" in attrs:
        return format_html('<span lang="{}" dir="ltr">{}</span>', attrs["lang"], value)
    return format_html('<span lang="{}">{}</span>', attrs["lang"], value)


def left_to_right(value) -> SafeString:
    """``value`` (escaped; a reference, a code) marked left to right in a right-to-left page."""
    if value in (None, ""):
        return SafeString("")
    if get_language_bidi():
        return format_html('<span dir="ltr">{}</span>', value)
    return conditional_escape(value)


class FrenchChoices:
    """A choice widget whose labels are the prefecture's French (sites,
    procedures, access points): an ``<option>`` gets the attributes (it holds
    text only), a checkbox or radio its label marked. The empty choice is not,
    nor the values of ``not_french`` (a choice such as "every site")."""

    def __init__(self, *args, not_french=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.not_french = frozenset(str(value) for value in not_french)

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value in (None, "") or str(value) in self.not_french:
            return option
        if getattr(self, "input_type", "select") in ("checkbox", "radio"):
            option["label"] = french(label)
        else:
            option["attrs"] = {**option["attrs"], **french_attrs()}
        return option


class FrenchSelect(FrenchChoices, forms.Select):
    """A select of places, procedures or access points."""


class FrenchCheckboxes(FrenchChoices, forms.CheckboxSelectMultiple):
    """Checkboxes of places."""
