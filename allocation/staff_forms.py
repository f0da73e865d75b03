"""The staff's forms for someone's waiting-list entry (``allocation.views.on_behalf``)
and the supervisors' allocation modes (the back office's page)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from booking.forms import DATE_INPUT_FORMATS
from booking.models import AllocationMode
from core.data_language import FrenchCheckboxes, FrenchSelect

WEEKDAY_CHOICES = [
    (1, _("Monday")),
    (2, _("Tuesday")),
    (3, _("Wednesday")),
    (4, _("Thursday")),
    (5, _("Friday")),
    (6, _("Saturday")),
    (7, _("Sunday")),
]
WEEKDAY_LABELS = dict(WEEKDAY_CHOICES)


def _permit_field() -> forms.DateField:
    return forms.DateField(
        label=_("Residence permit expires on"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        help_text=_(
            "For a renewal, as read on the permit. Within 60 days, the person comes before "
            "those who joined without a priority."
        ),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class WaitlistChoiceForm(forms.Form):
    """Where and when someone can come: the sites they can reach (among
    ``sites``), the weekdays they cannot come. Changing an entry's choice."""

    sites = forms.TypedMultipleChoiceField(
        label=_("Sites the person can reach"),
        coerce=int,
        widget=FrenchCheckboxes,
        help_text=_("Only the sites that give this procedure out by their waiting list count."),
    )
    weekdays_excluded = forms.TypedMultipleChoiceField(
        label=_("Days the person cannot come"),
        required=False,
        coerce=int,
        choices=WEEKDAY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, sites: list[tuple[int, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sites"].choices = sites

    def clean_weekdays_excluded(self) -> list[int]:
        days = self.cleaned_data["weekdays_excluded"]
        if len(set(days)) >= 7:
            raise forms.ValidationError(_("Leave at least one day the person can come."))
        return days


class WaitlistJoinForm(WaitlistChoiceForm):
    """Put someone on a procedure's list: the procedure (among those given out
    by a list), the sites they can reach, the weekdays they cannot come and,
    for agents and supervisors, when their permit expires."""

    procedure = forms.TypedChoiceField(label=_("Procedure"), coerce=int)
    field_order = ["procedure", "sites", "weekdays_excluded"]

    def __init__(
        self,
        *args,
        procedures: list[tuple[int, str]],
        sites: list[tuple[int, str]],
        with_permit: bool,
        **kwargs,
    ) -> None:
        super().__init__(*args, sites=sites, **kwargs)
        self.fields["procedure"].choices = [("", _("Choose a procedure")), *procedures]
        if with_permit:
            self.fields["permit_expires_on"] = _permit_field()


class PermitForm(forms.Form):
    permit_expires_on = _permit_field()

    def clean_permit_expires_on(self) -> date | None:
        return self.cleaned_data["permit_expires_on"]


ALL_SITES = "all"


class AllocationModeForm(forms.Form):
    """A supervisor sets how a procedure's public capacity is given out, at one
    site or at every site without a mode of its own."""

    procedure = forms.TypedChoiceField(label=_("Procedure"), coerce=int, widget=FrenchSelect)
    site = forms.ChoiceField(label=_("Where"), widget=FrenchSelect(not_french=[ALL_SITES]))
    mode = forms.ChoiceField(
        label=_("Mode"), choices=AllocationMode.choices, widget=forms.RadioSelect
    )

    def __init__(
        self, *args, procedures: list[tuple[int, str]], sites: list[tuple[int, str]], **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["procedure"].choices = [("", _("Choose a procedure")), *procedures]
        self.fields["site"].choices = [
            (ALL_SITES, _("All sites without a mode of their own")),
            *[(str(pk), name) for pk, name in sites],
        ]
