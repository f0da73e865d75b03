"""Forms of the back office. They check shape; the services decide.

The supervisors' audit search checks the shape of each filter, so a bad value
is a message on the form, never an error page."""

from __future__ import annotations

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from audit.models import AuditAction
from backoffice.dashboard import Period
from backoffice.selectors import AuditFilters
from booking.forms import DATE_INPUT_FORMATS
from booking.identity import normalize_name
from booking.models import REFERENCE_ALPHABET, REFERENCE_LENGTH, Site
from core.data_language import FrenchCheckboxes, FrenchSelect
from core.forms import AboutSomeoneElse
from mediation.models import AccessPoint

_REFERENCE = re.compile(f"^[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}$")
MAX_RANGE_DAYS = 3660

STAFF_ROLE_CHOICES = [
    (Role.MEDIATOR.value, Role.MEDIATOR.label),
    (Role.AGENT.value, Role.AGENT.label),
    (Role.SUPERVISOR.value, Role.SUPERVISOR.label),
]


class AuditSearchForm(AboutSomeoneElse, forms.Form):
    actor = forms.EmailField(
        label=_("Who (e-mail address)"),
        required=False,
        max_length=254,
        help_text=_("The address of the account that acted, in full."),
    )
    action = forms.ChoiceField(
        label=_("What"),
        required=False,
        choices=[("", _("Any action")), *AuditAction.choices],
    )
    reference = forms.CharField(
        label=_("Appointment reference"),
        required=False,
        max_length=16,
        help_text=_("8 characters, for example K7QM2XPA."),
    )
    applicant = forms.CharField(
        label=_("Applicant"),
        required=False,
        max_length=150,
        help_text=_("Their number in Guichet, their document number or their surname."),
    )
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("To (included)"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_actor(self) -> str:
        return self.cleaned_data["actor"].strip().lower()

    def clean_reference(self) -> str:
        value = "".join(self.cleaned_data["reference"].split()).upper()
        if value and not _REFERENCE.match(value):
            raise forms.ValidationError(
                _("A reference has 8 letters and digits, for example K7QM2XPA.")
            )
        return value

    def clean_applicant(self) -> str:
        value = " ".join(self.cleaned_data["applicant"].split())
        if value and not normalize_name(value):
            raise forms.ValidationError(
                _("Enter an applicant number, a document number or a surname in Latin letters.")
            )
        return value

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        for name in ("date_from", "date_to"):
            day = cleaned.get(name)
            if day is not None and abs((day - timezone.localdate()).days) > MAX_RANGE_DAYS:
                self.add_error(name, _("Enter a date within ten years of today."))
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def filters(self) -> AuditFilters:
        """The filters of a valid form."""
        data = self.cleaned_data
        return AuditFilters(
            actor_email=data.get("actor") or "",
            action=data.get("action") or "",
            reference=data.get("reference") or "",
            applicant=data.get("applicant") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


class StaffForm(AboutSomeoneElse, forms.Form):
    """A staff account's role and attachments; ``email`` only at creation."""

    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("The person receives a link at this address to choose their password."),
    )
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=STAFF_ROLE_CHOICES, widget=forms.RadioSelect)
    sites = forms.ModelMultipleChoiceField(
        label=_("Sites (prefecture agents)"),
        queryset=Site.objects.order_by("name"),
        required=False,
        widget=FrenchCheckboxes,
    )
    access_point = forms.ModelChoiceField(
        widget=FrenchSelect,
        label=_("Access point (mediators)"),
        queryset=AccessPoint.objects.order_by("name"),
        required=False,
    )

    def __init__(self, *args, creating: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["email"]


class DashboardFilterForm(forms.Form):
    """The dashboard's filters. A site or procedure that is not among the
    caller's answers 404 before this form is asked (``backoffice.dashboard``);
    the form checks the period's shape."""

    site = forms.ChoiceField(label=_("Site"), required=False, widget=FrenchSelect)
    procedure = forms.ChoiceField(label=_("Procedure"), required=False, widget=FrenchSelect)
    period = forms.ChoiceField(label=_("Weeks shown"), required=False)

    def __init__(self, *args, sites=(), procedures=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [("", _("Every site")), *((s.slug, s.name) for s in sites)]
        self.fields["procedure"].choices = [
            ("", _("Every procedure")),
            *((p.slug, p.name) for p in procedures),
        ]
        self.fields["period"].choices = Period.CHOICES

    def clean_period(self) -> str:
        return self.cleaned_data.get("period") or Period.BOTH
