"""The counter's forms: the day's filters, a check-in, a supervisor's override.
They check shape; the services decide."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking.forms import DATE_INPUT_FORMATS
from booking.models import AppointmentStatus, Channel, Procedure
from core.data_language import FrenchSelect
from core.forms import AboutSomeoneElse


class DayFilterForm(AboutSomeoneElse, forms.Form):
    """The filters of the day's list (query string); the site is chosen apart."""

    date = forms.DateField(
        label=_("Day"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    procedure = forms.ModelChoiceField(
        widget=FrenchSelect,
        label=_("Procedure"),
        required=False,
        queryset=Procedure.objects.order_by("name"),
        to_field_name="slug",
        empty_label=_("Any procedure"),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status but cancelled")), *AppointmentStatus.choices],
    )
    channel = forms.ChoiceField(
        label=_("Booked by"),
        required=False,
        choices=[("", _("Anyone")), *Channel.choices],
    )

    def day(self):
        """The day asked for, today when none (or the form is not valid)."""
        if self.is_valid() and self.cleaned_data.get("date"):
            return self.cleaned_data["date"]
        return timezone.localdate()

    def filters(self) -> dict:
        """The selector's filters: empty when the form is not valid."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "procedure": data["procedure"].slug if data.get("procedure") else None,
            "status": data.get("status") or None,
            "channel": data.get("channel") or None,
        }


class CheckInForm(AboutSomeoneElse, forms.Form):
    reference = forms.CharField(
        label=_("Booking reference"),
        max_length=64,
        help_text=_("Scan the QR code of the convocation, or type the 8 characters."),
        widget=forms.TextInput(attrs={"autofocus": True, "spellcheck": "false"}),
    )
    document_number = forms.CharField(
        label=_("Number of the document shown"),
        max_length=64,
        help_text=_("As printed on the document the person shows you."),
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )


class CheckInOverrideForm(AboutSomeoneElse, forms.Form):
    reference = forms.CharField(label=_("Booking reference"), max_length=64)
    reason = forms.CharField(
        label=_("Reason for checking in without a matching document"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded in the audit trail."),
    )
