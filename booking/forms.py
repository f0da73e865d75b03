"""Forms of the applicant's pages. They check shape only; the services decide."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from accounts.errors import InvalidPhone
from accounts.phones import normalize_mobile
from booking.models import Applicant, DocumentType
from core.forms import AboutSomeoneElse
from core.languages import language_choices

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"]


def walk_in_phone(value: str) -> str:
    """A phone number staff typed for a walk-in, in E.164, or "" when empty: a
    mobile of ``CONTACT_PHONE_REGIONS`` only (no landline, premium-rate or
    foreign number), with the reason in the error."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return normalize_mobile(value, regions=settings.CONTACT_PHONE_REGIONS)
    except InvalidPhone as exc:
        raise forms.ValidationError(exc.message, code=exc.code) from None


class IdentityForm(forms.Form):
    """The identity an applicant books with. It is checked at the counter and
    cannot be changed afterwards, so the form says so and asks to confirm."""

    surname = forms.CharField(
        label=_("Surname"),
        max_length=150,
        help_text=_("As written on your identity document."),
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    given_names = forms.CharField(
        label=_("First names"),
        max_length=150,
        help_text=_("All of them, as written on your identity document."),
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    birth_date = forms.DateField(
        label=_("Date of birth"),
        input_formats=DATE_INPUT_FORMATS,
        help_text=_("For example 17/05/1990."),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
    )
    # No autocomplete token means "nationality": "country" is where one lives, which a
    # browser would fill with France for most applicants.
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
    certify = forms.BooleanField(
        label=_(
            "I certify that this identity is mine and correct. I understand that it cannot "
            "be changed afterwards and that it is checked at the counter."
        ),
    )


class WalkInIdentityForm(AboutSomeoneElse, IdentityForm):
    """Staff record the identity of a walk-in who has no account, and where the
    person wants their messages: a mobile number of France or its overseas
    territories (``CONTACT_PHONE_REGIONS``), an e-mail address, or neither.

    An applicant's own form has no contact fields: an account's messages go to
    its confirmed phone and e-mail only (``notifications.services.applicant_contacts``).
    """

    certify = None
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=32,
        required=False,
        help_text=_(
            "The person's own mobile, for the text messages about the appointment. "
            "For example 06 12 34 56 78."
        ),
    )
    email = forms.EmailField(label=_("E-mail address"), required=False)

    def clean_phone(self) -> str:
        return walk_in_phone(self.cleaned_data["phone"])


class WalkInContactAdminForm(forms.ModelForm):
    """The admin's change form of an identity: staff may correct a walk-in's
    contacts, under the same rule as when they were typed."""

    class Meta:
        model = Applicant
        fields = ("email", "phone", "preferred_language")
        widgets = {"preferred_language": forms.Select(choices=language_choices)}

    def clean_phone(self) -> str:
        return walk_in_phone(self.cleaned_data.get("phone") or "")


class AgentIdentityCorrectionForm(AboutSomeoneElse, IdentityForm):
    """An agent corrects a person's identity from the document in front of them."""

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
