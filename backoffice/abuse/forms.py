"""The abuse report's forms: the period read, and a suspension's reason."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from backoffice.abuse.services import REASON_MAX_LENGTH


class PeriodForm(forms.Form):
    days = forms.IntegerField(
        label=_("Days read back"),
        required=False,
        min_value=1,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["days"]
        field.help_text = _("From 1 to %(max)s days; %(default)s when empty.") % {
            "max": settings.ABUSE_PERIOD_MAX_DAYS,
            "default": settings.ABUSE_PERIOD_DAYS,
        }
        field.widget.attrs.update({"min": 1, "max": settings.ABUSE_PERIOD_MAX_DAYS})

    def clean_days(self) -> int:
        days = self.cleaned_data.get("days") or settings.ABUSE_PERIOD_DAYS
        if days > settings.ABUSE_PERIOD_MAX_DAYS:
            raise forms.ValidationError(
                _("Enter at most %(max)s days.") % {"max": settings.ABUSE_PERIOD_MAX_DAYS}
            )
        return days


class SuspendForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the suspension"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The person reads it in the message that tells them, with how to contest."),
    )
