"""The applicant's waiting-list form: the sites they can reach among those the
list gives out, and the weekdays they cannot come."""

from __future__ import annotations

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from booking.models import Site
from core.data_language import FrenchCheckboxes

# ISO weekdays (1 Monday .. 7 Sunday), as the entry stores them.
WEEKDAY_CHOICES = [(str(index + 1), WEEKDAYS[index]) for index in range(7)]


class WaitlistJoinForm(forms.Form):
    sites = forms.MultipleChoiceField(
        label=_("The places you can go to"),
        help_text=_("Tick every place you can reach: the more places, the sooner an offer."),
        widget=FrenchCheckboxes,
        error_messages={"required": _("Choose at least one place.")},
    )
    weekdays_excluded = forms.MultipleChoiceField(
        label=_("The days you cannot come"),
        help_text=_("Leave empty if you can come any day."),
        choices=WEEKDAY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, sites: list[Site], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sites"].choices = [
            (str(site.pk), f"{site.name} — {site.address}, {site.postcode} {site.city}")
            for site in sites
        ]
        if len(sites) == 1 and not self.is_bound:
            self.initial.setdefault("sites", [str(sites[0].pk)])

    def clean_weekdays_excluded(self) -> list[int]:
        days = sorted({int(day) for day in self.cleaned_data["weekdays_excluded"]})
        if len(days) >= 7:
            raise forms.ValidationError(_("Leave at least one day you can come."))
        return days

    def clean_sites(self) -> list[int]:
        return sorted({int(site) for site in self.cleaned_data["sites"]})
