from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from attempts import codes


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        help_text=_("As printed on the record, for example 7KQ2-M9XD-4HPA-RT6W-ZE3B-N8CF."),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_code(self) -> str:
        raw = codes.code_normalised(self.cleaned_data["code"])
        if raw is None:
            raise forms.ValidationError(
                _("A code has 24 letters and digits, in six groups of four."), code="malformed"
            )
        return codes.code_grouped(raw)
