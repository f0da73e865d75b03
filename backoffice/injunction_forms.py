"""Forms of the court-ordered convocations' pages. They check shape only; the
services (``booking.services.injunctions``) decide. The person is found or
registered with the mediators' console's forms (``mediation.forms``: the same
fields, the same rules)."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from booking.forms import DATE_INPUT_FORMATS
from booking.models import InjunctionState, Procedure, Site
from booking.models.injunctions import CASE_NUMBER_MAX, COURT_MAX, NOTES_MAX
from core.data_language import FrenchSelect
from core.forms import AboutSomeoneElse

STATE_FILTERS = [
    ("", _("Every state")),
    ("not_served", _("Not served yet")),
    *InjunctionState.choices,
]


class InjunctionFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=STATE_FILTERS, required=False)
    site = forms.ModelChoiceField(
        widget=FrenchSelect,
        label=_("Site"),
        queryset=Site.objects.none(),
        required=False,
        empty_label=_("All my sites"),
    )

    def __init__(self, *args, sites: QuerySet[Site], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites


def _date_field(label, help_text) -> forms.DateField:
    return forms.DateField(
        label=label,
        input_formats=DATE_INPUT_FORMATS,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class InjunctionForm(AboutSomeoneElse, forms.Form):
    """The order as the court wrote it, and where it will be served."""

    court = forms.CharField(
        label=_("Court"),
        max_length=COURT_MAX,
        help_text=_("For example: Tribunal administratif de Montreuil."),
    )
    case_number = forms.CharField(
        label=_("Case number"),
        max_length=CASE_NUMBER_MAX,
        help_text=_("As written on the order, for example 2612345."),
    )
    ordered_on = _date_field(_("Date of the order"), _("For example 17/05/2026."))
    deadline = _date_field(
        _("Deadline to convoke"),
        _("The last day on which the appointment may take place, as the order sets it."),
    )
    procedure = forms.ModelChoiceField(
        widget=FrenchSelect,
        label=_("Procedure"),
        queryset=Procedure.objects.none(),
        empty_label=_("Choose"),
    )
    site = forms.ModelChoiceField(
        widget=FrenchSelect,
        label=_("Site where it is served"),
        queryset=Site.objects.none(),
        empty_label=None,
    )
    notes = forms.CharField(
        label=_("Notes"),
        max_length=NOTES_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the order says beyond the deadline, if anything."),
    )

    def __init__(self, *args, sites: QuerySet[Site], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["procedure"].queryset = Procedure.objects.filter(is_active=True)
        self.fields["site"].queryset = sites


class ConvokeForm(AboutSomeoneElse, forms.Form):
    """The time chosen (radio buttons of the page's week): the service decides
    whether it may serve the order (its procedure, site, pool and deadline)."""

    slot = forms.IntegerField(
        label=_("Time"),
        min_value=1,
        max_value=2**63 - 1,
        error_messages={"required": _("Choose a time.")},
    )
