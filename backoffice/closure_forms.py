"""The closure form of the back office: it checks shape, the service decides."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.forms import MAX_RANGE_DAYS
from booking.forms import DATE_INPUT_FORMATS
from booking.models import ClosureKind, Procedure, Site
from booking.permissions import managed_sites
from booking.services.closures import MAX_CLOSURE_DAYS, REASON_MAX_LENGTH
from core.data_language import FrenchSelect


class ClosureForm(forms.Form):
    """A slot, a day or a range of days of one of the agent's sites: ``date_to``
    empty is the same day; ``time_from`` / ``time_to`` empty are the whole day."""

    site = forms.ModelChoiceField(
        widget=FrenchSelect, label=_("Site"), queryset=Site.objects.none()
    )
    procedure = forms.ModelChoiceField(
        widget=FrenchSelect,
        label=_("Procedure"),
        queryset=Procedure.objects.order_by("name"),
        required=False,
        empty_label=_("Every procedure of the site"),
    )
    date_from = forms.DateField(
        label=_("First day"),
        input_formats=DATE_INPUT_FORMATS,
        help_text=_("Format: 24/12/2026"),
    )
    date_to = forms.DateField(
        label=_("Last day"),
        input_formats=DATE_INPUT_FORMATS,
        required=False,
        help_text=_("Empty: the first day only."),
    )
    time_from = forms.TimeField(
        label=_("From (time)"),
        required=False,
        help_text=_("Empty: from the start of the first day. Format: 14:00"),
    )
    time_to = forms.TimeField(
        label=_("Until (time)"),
        required=False,
        help_text=_("Empty: to the end of the last day. A single slot: its start and end."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=ClosureKind.choices)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to each person whose appointment is cancelled (SMS and e-mail)."),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(managed_sites(user)).order_by("name")

    def clean(self) -> dict:
        data = super().clean()
        today = timezone.localdate()
        for name in ("date_from", "date_to"):
            day = data.get(name)
            # Within ten years: beyond, a closure means nothing (and the last
            # representable day has no next day to end it).
            if day is not None and abs((day - today).days) > MAX_RANGE_DAYS:
                self.add_error(name, _("Enter a date within ten years of today."))
                data.pop(name, None)
        first = data.get("date_from")
        if first is None:
            return data
        last = data.get("date_to") or first
        tz = timezone.get_current_timezone()
        starts_at = datetime.combine(first, data.get("time_from") or time.min, tzinfo=tz)
        if data.get("time_to") is not None:
            ends_at = datetime.combine(last, data["time_to"], tzinfo=tz)
        else:
            ends_at = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
        if ends_at <= starts_at:
            raise forms.ValidationError(_("The end of the closure must come after its start."))
        if ends_at - starts_at > timedelta(days=MAX_CLOSURE_DAYS):
            raise forms.ValidationError(
                _("A closure may cover at most %(days)d days.") % {"days": MAX_CLOSURE_DAYS}
            )
        data["starts_at"], data["ends_at"] = starts_at, ends_at
        return data
