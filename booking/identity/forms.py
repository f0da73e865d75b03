"""Forms of the applicant's identity pages that are not the booking path's."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from booking.forms import DATE_INPUT_FORMATS, IdentityForm


class IdentityCorrectionForm(IdentityForm):
    """The identity fields only: contact details are the account's."""

    phone = None
    email = None


class IdentityClaimForm(forms.Form):
    """What proves that a walk-in's file is one's own: the reference of one of
    its appointments, the date of birth and the document number on file."""

    reference = forms.CharField(
        label=_("Booking reference"),
        max_length=16,
        help_text=_("The 8 letters and digits on your convocation or in the text message."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    birth_date = forms.DateField(
        label=_("Date of birth"),
        input_formats=DATE_INPUT_FORMATS,
        help_text=_("For example 17/05/1990."),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
    )
    document_number = forms.CharField(
        label=_("Document number"),
        max_length=20,
        help_text=_(
            "The foreigner number (AGDREF) or passport number given at the access point. "
            "Spaces and dashes do not matter."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
