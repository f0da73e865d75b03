"""Forms of the mediators' console. They check shape only; the services decide.

Every form is about someone else (the person in front of the mediator, or a
point and its mediators): the browser must not fill in the mediator's own
details (``core.forms.AboutSomeoneElse``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time, timedelta

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from booking.forms import DATE_INPUT_FORMATS, WalkInIdentityForm
from booking.models import REFERENCE_LENGTH
from core.data_language import FrenchSelect
from core.forms import AboutSomeoneElse
from core.languages import language_choices
from mediation.models import (
    WEEKDAYS,
    AccessPoint,
    ConsentGiver,
    ConsentMethod,
    ConsentPurpose,
)

WEEKDAY_NAMES = dict(WEEKDAYS)


def _birth_date_field() -> forms.DateField:
    return forms.DateField(
        label=_("Date of birth"),
        input_formats=DATE_INPUT_FORMATS,
        help_text=_("For example 17/05/1990."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class FindByDocumentForm(AboutSomeoneElse, forms.Form):
    """A person, by the number of the document they hold and their date of birth."""

    document_number = forms.CharField(
        label=_("Document number"),
        max_length=20,
        help_text=_(
            "Foreigner number (AGDREF) or passport number, as on the document the person "
            "holds. Spaces and dashes do not matter."
        ),
    )
    birth_date = _birth_date_field()


class FindByReferenceForm(AboutSomeoneElse, forms.Form):
    """A person, by the reference of one of their appointments and their date of birth."""

    reference = forms.CharField(
        label=_("Appointment reference"),
        max_length=REFERENCE_LENGTH + 8,
        help_text=_("The 8 characters of a booking confirmation, for example K7MX4P2Q."),
    )
    birth_date = _birth_date_field()


class WalkInForm(WalkInIdentityForm):
    """A walk-in's identity (the same rules as online), their contacts if they
    have any, and the language of their messages."""

    language = forms.ChoiceField(
        label=_("Language of the messages"),
        choices=language_choices,
        initial="fr",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phone"].help_text = _(
            "A mobile of the person's own, for the text messages about the appointment. "
            "Leave it empty if they have none. For example 06 12 34 56 78."
        )
        self.fields["email"].help_text = _("Leave it empty if the person has none.")
        # The applicant's wording ("your document") does not fit: the person is in front of you.
        for name in ("surname", "given_names"):
            self.fields[name].help_text = _("As written on the person's identity document.")
        self.fields["document_type"].help_text = _(
            "The foreigner number (AGDREF, 10 digits) if a prefecture has already registered "
            "the person; otherwise their passport."
        )


# How long a consent lasts unless the person says otherwise.
CONSENT_DEFAULT_DAYS = 90


class ConsentForm(AboutSomeoneElse, forms.Form):
    """What the person (or their representative) agreed to, how, and until when."""

    given_by = forms.ChoiceField(
        label=_("Who gives the consent"),
        choices=ConsentGiver.choices,
        initial=ConsentGiver.PERSON,
        widget=forms.RadioSelect,
    )
    given_by_name = forms.CharField(
        label=_("Name of the representative"),
        max_length=200,
        required=False,
        help_text=_(
            "Only when a representative gives it: their name and their link to the person."
        ),
    )
    method = forms.ChoiceField(
        label=_("How it is given"),
        choices=ConsentMethod.choices,
        widget=forms.RadioSelect,
    )
    purposes = forms.MultipleChoiceField(
        label=_("What you may do for the person"),
        choices=ConsentPurpose.choices,
        initial=[ConsentPurpose.BOOKING],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Booking covers cancelling and moving their appointments."),
    )
    valid_until = forms.DateField(
        label=_("Valid until"),
        input_formats=DATE_INPUT_FORMATS,
        help_text=_("Included. The person may withdraw it before."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["valid_until"].initial = today + timedelta(
            days=min(CONSENT_DEFAULT_DAYS, settings.MEDIATION_CONSENT_MAX_DAYS)
        )

    def clean_valid_until(self):
        day = self.cleaned_data["valid_until"]
        today = timezone.localdate()
        if day < today:
            raise forms.ValidationError(_("The consent must be valid until today at least."))
        if day > today + timedelta(days=settings.MEDIATION_CONSENT_MAX_DAYS):
            raise forms.ValidationError(
                _("A consent lasts %(days)s days at most.")
                % {"days": settings.MEDIATION_CONSENT_MAX_DAYS}
            )
        return day

    def clean(self):
        data = super().clean()
        if (
            data.get("given_by") == ConsentGiver.REPRESENTATIVE
            and not (data.get("given_by_name") or "").strip()
        ):
            self.add_error("given_by_name", _("Enter the name of the representative."))
        return data


class CapRaiseForm(AboutSomeoneElse, forms.Form):
    """A supervisor raises a point's daily cap, or one of its mediators', for one day."""

    access_point = forms.ModelChoiceField(
        widget=FrenchSelect,
        label=_("Access point"),
        queryset=AccessPoint.objects.filter(is_active=True),
        empty_label=_("Choose an access point"),
    )
    mediator = forms.ModelChoiceField(
        label=_("Mediator"),
        queryset=User.objects.filter(role=Role.MEDIATOR, is_active=True).order_by("email"),
        required=False,
        empty_label=_("The whole access point"),
        help_text=_("Leave it on the whole access point to raise the point's own cap."),
    )
    day = forms.DateField(
        label=_("Day"),
        input_formats=DATE_INPUT_FORMATS,
        help_text=_("For example 17/05/2026."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    extra = forms.IntegerField(
        label=_("Additional bookings"),
        min_value=1,
        max_value=settings.MEDIATION_CAP_RAISE_MAX,
        help_text=_("How many bookings more than the cap, on that day only."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the cap is raised. It is recorded in the audit trail."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mediator"].label_from_instance = lambda user: (
            f"{user.full_name or user.email} ({user.email})"
        )
        self.fields["day"].initial = timezone.localdate()

    def clean_day(self):
        day = self.cleaned_data["day"]
        today = timezone.localdate()
        if day < today:
            raise forms.ValidationError(_("A cap cannot be raised for a day that has passed."))
        return day

    def clean(self):
        data = super().clean()
        point, mediator = data.get("access_point"), data.get("mediator")
        if point is not None and mediator is not None and mediator.access_point_id != point.pk:
            self.add_error("mediator", _("This mediator does not belong to this access point."))
        return data


# The two ranges a day the hours page offers (the service accepts up to
# ``mediation.services.PERIODS_PER_DAY_AT_MOST``).
HOURS_RANGES = (
    ("morning", _("morning")),
    ("afternoon", _("afternoon")),
)
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S", "%Hh%M", "%Hh"]


def _time_field(label) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=False,
        input_formats=TIME_INPUT_FORMATS,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )


class OpeningHoursForm(AboutSomeoneElse, forms.Form):
    """A point's week: for each day, up to two ranges (morning, afternoon), each
    an opening and a closing time, or neither. Fields ``d<weekday>_<range>_opens``
    and ``…_closes``; ``periods()`` gives what the service takes."""

    def __init__(self, *args, periods: Iterable[tuple[int, time, time]] = (), **kwargs) -> None:
        initial = kwargs.pop("initial", None) or {}
        by_day: dict[int, list[tuple[time, time]]] = {}
        for weekday, opens, closes in sorted(periods):
            by_day.setdefault(weekday, []).append((opens, closes))
        for weekday, ranges in by_day.items():
            for (name, _label), (opens, closes) in zip(HOURS_RANGES, ranges, strict=False):
                initial[f"d{weekday}_{name}_opens"] = opens
                initial[f"d{weekday}_{name}_closes"] = closes
        # Days with more periods than the page offers (set elsewhere): said on the page.
        self.more_than_shown = [
            WEEKDAY_NAMES[weekday]
            for weekday, ranges in sorted(by_day.items())
            if len(ranges) > len(HOURS_RANGES)
        ]
        super().__init__(*args, initial=initial, **kwargs)
        for weekday, day in WEEKDAYS:
            for name, moment in HOURS_RANGES:
                self.fields[f"d{weekday}_{name}_opens"] = _time_field(
                    _("%(day)s %(moment)s, opens at") % {"day": day, "moment": moment}
                )
                self.fields[f"d{weekday}_{name}_closes"] = _time_field(
                    _("%(day)s %(moment)s, closes at") % {"day": day, "moment": moment}
                )
        for field in self.fields.values():
            field.widget.attrs["autocomplete"] = "off"

    def days(self) -> list[dict]:
        """For the template: each day's name and its ranges' fields."""
        return [
            {
                "weekday": weekday,
                "name": day,
                "ranges": [
                    {
                        "name": moment,
                        "opens": self[f"d{weekday}_{name}_opens"],
                        "closes": self[f"d{weekday}_{name}_closes"],
                    }
                    for name, moment in HOURS_RANGES
                ],
            }
            for weekday, day in WEEKDAYS
        ]

    def clean(self) -> dict:
        data = super().clean()
        for weekday, _day in WEEKDAYS:
            previous_closes = None
            for name, _moment in HOURS_RANGES:
                opens_name, closes_name = f"d{weekday}_{name}_opens", f"d{weekday}_{name}_closes"
                if opens_name in self.errors or closes_name in self.errors:
                    continue
                opens, closes = data.get(opens_name), data.get(closes_name)
                if opens is None and closes is None:
                    continue
                if opens is None:
                    self.add_error(opens_name, _("Give the opening time too, or neither."))
                elif closes is None:
                    self.add_error(closes_name, _("Give the closing time too, or neither."))
                elif closes <= opens:
                    self.add_error(closes_name, _("The closing time must come after the opening."))
                else:
                    if previous_closes is not None and opens < previous_closes:
                        self.add_error(
                            opens_name, _("The afternoon must begin after the morning ends.")
                        )
                    previous_closes = closes
        return data

    def periods(self) -> list[tuple[int, time, time]]:
        data = self.cleaned_data
        return [
            (weekday, data[f"d{weekday}_{name}_opens"], data[f"d{weekday}_{name}_closes"])
            for weekday, _day in WEEKDAYS
            for name, _moment in HOURS_RANGES
            if data.get(f"d{weekday}_{name}_opens") and data.get(f"d{weekday}_{name}_closes")
        ]
