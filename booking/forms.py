"""Forms of the applicant's pages. They check shape only; the services decide."""

from __future__ import annotations

import phonenumbers
from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from booking.models import DocumentType

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"]


class IdentityForm(forms.Form):
    """The identity an applicant books with. It is checked at the counter and
    cannot be changed afterwards, so the form says so and asks to confirm."""

    surname = forms.CharField(
        label=_("Surname"),
        max_length=150,
        help_text=_("As written on your identity document."),
    )
    given_names = forms.CharField(
        label=_("First names"),
        max_length=150,
        help_text=_("All of them, as written on your identity document."),
    )
    birth_date = forms.DateField(
        label=_("Date of birth"),
        input_formats=DATE_INPUT_FORMATS,
        help_text=_("For example 17/05/1990."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    nationality = CountryField(blank_label=_("Choose a country")).formfield(label=_("Nationality"))
    document_type = forms.ChoiceField(
        label=_("Identity document"),
        choices=DocumentType.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "If you have already been registered by a prefecture, use your foreigner number "
            "(AGDREF, 10 digits, on your residence permit or receipt). Otherwise, your passport."
        ),
    )
    document_number = forms.CharField(
        label=_("Document number"),
        max_length=20,
        help_text=_("Spaces and dashes do not matter."),
    )
    phone = forms.CharField(
        label=_("Mobile phone (optional)"),
        max_length=20,
        required=False,
        help_text=_("To receive reminders by text message. For example 06 12 34 56 78."),
    )
    email = forms.EmailField(
        label=_("E-mail address (optional)"),
        required=False,
        help_text=_("Leave empty to use the address of your account."),
    )
    certify = forms.BooleanField(
        label=_(
            "I certify that this identity is mine and correct. I understand that it cannot "
            "be changed afterwards and that it is checked at the counter."
        ),
    )

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"].strip()
        if not value:
            return ""
        try:
            number = phonenumbers.parse(value, "FR")
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise forms.ValidationError(_("Enter a valid phone number."))
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class AgentIdentityCorrectionForm(IdentityForm):
    """An agent corrects a person's identity from the document in front of them."""

    phone = None
    email = None
    certify = None
    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "What was wrong and which document you checked. It is recorded in the audit trail."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The applicant's wording ("your document") does not fit: the agent holds it.
        for name in ("surname", "given_names", "document_type"):
            self.fields[name].help_text = ""
