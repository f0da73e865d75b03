"""Forms of the capacity pages: publishing (its preview re-posts the same fields,
checked again from scratch), a slot's capacity, counters moved. They check
shape; ``booking.services`` decides (and checks the site again)."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking.forms import DATE_INPUT_FORMATS
from booking.models import Pool, Procedure, Site
from booking.permissions import managed_sites
from booking.services import OpeningRange, PublicationParameters, publication_parameters
from booking.services.capacity import MAX_CAPACITY
from core.data_language import FrenchSelect

OPENING_RANGES = 4
DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]
WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
NOW, AT, WINDOW = "now", "at", "window"
VISIBILITY_CHOICES = [
    (NOW, _("As soon as they are published")),
    (AT, _("At a chosen time")),
    (WINDOW, _("At a random moment inside a window (not shown until it passes)")),
]


def _date_field(label) -> forms.DateField:
    return forms.DateField(
        label=label,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def _datetime_field(label, help_text="") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        help_text=help_text,
        input_formats=DATETIME_INPUT_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


def _time_field(label) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )


def staff_sites(user):
    return Site.objects.filter(managed_sites(user), is_active=True).order_by("name")


class PublishForm(forms.Form):
    site = forms.ModelChoiceField(
        widget=FrenchSelect, label=_("Site"), queryset=Site.objects.none(), empty_label=None
    )
    procedure = forms.ModelChoiceField(
        widget=FrenchSelect,
        label=_("Procedure"),
        queryset=Procedure.objects.filter(is_active=True).order_by("name"),
        empty_label=None,
    )
    date_from = _date_field(_("From"))
    date_to = _date_field(_("To (included)"))
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Weekdays"), choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    slot_minutes = forms.IntegerField(
        label=_("Slot length (minutes)"),
        required=False,
        min_value=1,
        max_value=480,
        help_text=_("Empty: the procedure's usual length."),
    )
    counters = forms.IntegerField(
        label=_("Counters in parallel"),
        min_value=1,
        max_value=MAX_CAPACITY,
        help_text=_("Every counter open at once, the reserved ones included."),
    )
    mediation_counters = forms.IntegerField(
        label=_("Of which reserved for mediation"), min_value=0, max_value=MAX_CAPACITY, initial=0
    )
    priority_counters = forms.IntegerField(
        label=_("Of which reserved for priority cases"),
        min_value=0,
        max_value=MAX_CAPACITY,
        initial=0,
    )
    visibility = forms.ChoiceField(
        label=_("The slots become visible"),
        choices=VISIBILITY_CHOICES,
        initial=NOW,
        widget=forms.RadioSelect,
    )
    visible_at = _datetime_field(
        _("Visible from"), _("The chosen time, or the start of the random window.")
    )
    visible_until = _datetime_field(
        _("Random window's end"), _("Only for a random moment inside a window.")
    )

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = staff_sites(user)
        for number in range(1, OPENING_RANGES + 1):
            self.fields[f"range_{number}_start"] = _time_field(
                _("Opening range %(number)s: from") % {"number": number}
            )
            self.fields[f"range_{number}_end"] = _time_field(
                _("Opening range %(number)s: to") % {"number": number}
            )
        if not self.is_bound:
            monday = timezone.localdate() + timedelta(days=7 - timezone.localdate().weekday())
            self.initial.setdefault("date_from", monday)
            self.initial.setdefault("date_to", monday + timedelta(days=4))
            self.initial.setdefault("weekdays", [0, 1, 2, 3, 4])

    @property
    def range_rows(self) -> list[tuple[int, forms.BoundField, forms.BoundField]]:
        return [
            (number, self[f"range_{number}_start"], self[f"range_{number}_end"])
            for number in range(1, OPENING_RANGES + 1)
        ]

    @property
    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("site", "procedure", "date_from", "date_to", "weekdays")]

    @property
    def counter_fields(self) -> list[forms.BoundField]:
        names = ("slot_minutes", "counters", "mediation_counters", "priority_counters")
        return [self[name] for name in names]

    def clean(self):
        data = super().clean()
        ranges = []
        for number in range(1, OPENING_RANGES + 1):
            start = data.get(f"range_{number}_start")
            end = data.get(f"range_{number}_end")
            if (start is None) != (end is None):
                missing = f"range_{number}_end" if end is None else f"range_{number}_start"
                if missing not in self.errors:
                    self.add_error(missing, _("Give both ends of the opening range."))
            elif start is not None:
                ranges.append(OpeningRange(start=start, end=end))
        if not ranges and not any(name.startswith("range_") for name in self.errors):
            self.add_error("range_1_start", _("Give at least one opening range."))
        data["opening_ranges"] = ranges
        kind = data.get("visibility")
        if (
            kind in (AT, WINDOW)
            and data.get("visible_at") is None
            and "visible_at" not in self.errors
        ):
            self.add_error("visible_at", _("Give the time the slots become visible."))
        if (
            kind == WINDOW
            and data.get("visible_until") is None
            and "visible_until" not in self.errors
        ):
            self.add_error("visible_until", _("Give the end of the random window."))
        return data

    def service_arguments(self) -> PublicationParameters:
        """The arguments of ``slots_publish`` and ``publication_preview``."""
        data = self.cleaned_data
        kind = data["visibility"]
        return publication_parameters(
            data,
            visible_at=data["visible_at"] if kind in (AT, WINDOW) else None,
            visible_until=data["visible_until"] if kind == WINDOW else None,
        )


class SlotCapacityForm(forms.Form):
    slot = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
    capacity = forms.IntegerField(label=_("New capacity"), min_value=0, max_value=MAX_CAPACITY)


class CountersMoveForm(forms.Form):
    slot = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
    to_pool = forms.ChoiceField(label=_("To the pool"), choices=Pool.choices)
    count = forms.IntegerField(label=_("Counters to move"), min_value=1, max_value=MAX_CAPACITY)


def parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None
