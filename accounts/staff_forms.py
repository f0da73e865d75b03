"""Forms of the staff pages and of the second factor. They check shape;
the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from booking.models import Site
from mediation.models import AccessPoint

STAFF_ROLE_CHOICES = [
    (Role.MEDIATOR.value, Role.MEDIATOR.label),
    (Role.AGENT.value, Role.AGENT.label),
    (Role.SUPERVISOR.value, Role.SUPERVISOR.label),
]


class OtpCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        help_text=_("The 6 digits your authenticator app shows, or one of your backup codes."),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class StaffForm(forms.Form):
    """A staff account's role and attachments; ``email`` only at creation."""

    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("The person receives a link at this address to choose their password."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=STAFF_ROLE_CHOICES, widget=forms.RadioSelect)
    sites = forms.ModelMultipleChoiceField(
        label=_("Sites (prefecture agents)"),
        queryset=Site.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    access_point = forms.ModelChoiceField(
        label=_("Access point (mediators)"),
        queryset=AccessPoint.objects.order_by("name"),
        required=False,
    )

    def __init__(self, *args, creating: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["email"]
