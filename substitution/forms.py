"""Forms of the substitution route. They check shape; the services decide."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from booking.forms import DATE_INPUT_FORMATS, IdentityForm, walk_in_phone
from booking.models import Procedure, Site
from core.data_language import FrenchSelect, french
from core.forms import AboutSomeoneElse
from core.languages import language_choices
from substitution.models import Outcome, Reason, tracking_parse
from substitution.services import ACCOUNT_MAX, ANSWER_MAX, POSTAL_ADDRESS_MAX


class SubstitutionRequestForm(IdentityForm):
    """What the prefecture needs to give an appointment, and nothing more: who,
    for what, where if it matters, what happened, and how to answer."""

    certify = None
    procedure = forms.ModelChoiceField(
        widget=FrenchSelect,
        label=_("Procedure"),
        queryset=Procedure.objects.filter(is_active=True).order_by("name"),
        empty_label=_("Choose a procedure"),
    )
    site = forms.ModelChoiceField(
        widget=FrenchSelect,
        label=_("Place you wish"),
        queryset=Site.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=_("Any place"),
    )
    reason = forms.ChoiceField(
        label=_("What happened"), choices=Reason.choices, widget=forms.RadioSelect
    )
    account = forms.CharField(
        label=_("In your own words"),
        required=False,
        max_length=ACCOUNT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "For example: since when you have tried, the message you saw, the date your "
            "permit or receipt expires."
        ),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=32,
        required=False,
        help_text=_("For a text message with your tracking number and the answer."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    postal_address = forms.CharField(
        label=_("Postal address"),
        required=False,
        max_length=POSTAL_ADDRESS_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
        help_text=_(
            "For an answer by letter. It may be that of an association that receives your mail."
        ),
    )
    language = forms.ChoiceField(
        label=_("Language of the answer"),
        choices=language_choices,
        widget=forms.Select(attrs={"autocomplete": "language"}),
    )

    def clean_phone(self) -> str:
        return walk_in_phone(self.cleaned_data["phone"])

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(name) for name in ("phone", "email", "postal_address")) and not any(
            name in self.errors for name in ("phone", "email", "postal_address")
        ):
            raise forms.ValidationError(
                _(
                    "Give at least one way to answer you: a mobile phone, an e-mail address "
                    "or a postal address."
                ),
                code="contact_missing",
            )
        return cleaned


class StatusForm(forms.Form):
    tracking = forms.CharField(
        label=_("Tracking number"),
        max_length=32,
        help_text=_("10 characters, starting with S, for example SK7QM2XPA4."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    birth_date = forms.DateField(
        label=_("Date of birth"),
        input_formats=DATE_INPUT_FORMATS,
        help_text=_("For example 17/05/1990."),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
    )

    def clean_tracking(self) -> str:
        value = tracking_parse(self.cleaned_data["tracking"])
        if value is None:
            raise forms.ValidationError(
                _("A tracking number has 10 letters and digits and starts with S.")
            )
        return value


QUEUE_STATE_CHOICES = [
    ("open", _("To answer")),
    ("new", _("New")),
    ("in_progress", _("In progress")),
    ("answered", _("Answered")),
    ("all", _("All")),
]


class QueueFilterForm(AboutSomeoneElse, forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=QUEUE_STATE_CHOICES, required=False)


class BookForm(AboutSomeoneElse, forms.Form):
    slot = forms.TypedChoiceField(label=_("Time"), coerce=int, choices=(), widget=forms.RadioSelect)

    def __init__(self, *args, slots=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slot"].choices = [(slot.pk, _slot_label(slot)) for slot in slots]


def _slot_label(slot) -> str:
    starts = timezone.localtime(slot.starts_at)
    return format_html(
        "{} {} — {} ({}, {})",
        date_format(starts, "l j F Y"),
        f"{starts:%H:%M}",
        french(slot.site.name),
        slot.get_pool_display(),
        slot.remaining,
    )


class AnswerForm(AboutSomeoneElse, forms.Form):
    outcome = forms.ChoiceField(
        label=_("Answer"),
        choices=[(choice.value, choice.label) for choice in (Outcome.REFUSED, Outcome.REFERRED)],
        widget=forms.RadioSelect,
    )
    answer = forms.CharField(
        label=_("Reason given to the person"),
        max_length=ANSWER_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "The person reads it in the message or the letter. For a referral, say to which "
            "service and how to reach it."
        ),
    )
