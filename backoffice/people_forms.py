"""Forms of the agents' search of a person. They check shape; the selectors find.

Three searches, one form each (what the person at the counter holds): a
booking reference, a document number, or a surname with a date of birth. The
surname form requires the date of birth: a surname alone is refused.
Registering a walk-in reuses the mediators' form (``mediation.forms.WalkInForm``):
the same identity rules as online.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from booking.forms import DATE_INPUT_FORMATS
from booking.identity import normalize_document_number, normalize_name
from booking.models import REFERENCE_LENGTH, reference_parse
from core.forms import AboutSomeoneElse


class FindByReferenceForm(AboutSomeoneElse, forms.Form):
    reference = forms.CharField(
        label=_("Appointment reference"),
        max_length=REFERENCE_LENGTH + 8,
        help_text=_("8 characters, for example K7QM2XPA."),
    )

    def clean_reference(self) -> str:
        parsed = reference_parse("".join(self.cleaned_data["reference"].split()))
        if parsed is None:
            raise forms.ValidationError(
                _("A reference has 8 letters and digits, for example K7QM2XPA.")
            )
        return parsed


class FindByDocumentForm(AboutSomeoneElse, forms.Form):
    document_number = forms.CharField(
        label=_("Document number"),
        max_length=20,
        help_text=_(
            "Foreigner number (AGDREF) or passport number, as on the document the person "
            "holds. Spaces and dashes do not matter."
        ),
    )

    def clean_document_number(self) -> str:
        number = normalize_document_number(self.cleaned_data["document_number"])
        if not number:
            raise forms.ValidationError(_("Enter the number in Latin letters and digits."))
        return number


class FindByNameForm(AboutSomeoneElse, forms.Form):
    surname = forms.CharField(
        label=_("Surname"),
        max_length=150,
        help_text=_("As written on the person's identity document."),
    )
    birth_date = forms.DateField(
        label=_("Date of birth"),
        input_formats=DATE_INPUT_FORMATS,
        help_text=_("For example 17/05/1990."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Enter the date of birth too: nobody is searched by surname alone.")
        },
    )

    def clean_surname(self) -> str:
        value = " ".join(self.cleaned_data["surname"].split())
        if not normalize_name(value):
            raise forms.ValidationError(
                _("Enter the surname in Latin letters, as on the document.")
            )
        return value


SEARCH_FORMS = {
    "reference": FindByReferenceForm,
    "document": FindByDocumentForm,
    "name": FindByNameForm,
}
