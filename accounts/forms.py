"""Forms of the account pages. They check shape; the services decide."""

from __future__ import annotations

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.errors import InvalidPhone
from accounts.models import User
from accounts.phones import normalize_mobile
from core.languages import language_choices


class MobileField(forms.CharField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", _("Mobile phone"))
        kwargs.setdefault(
            "help_text", _("We send a code by text message to it. For example 06 12 34 56 78.")
        )
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)
        self.widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        try:
            return normalize_mobile(value)
        except InvalidPhone as exc:
            raise forms.ValidationError(str(exc.detail)) from None


class LoginForm(auth_forms.AuthenticationForm):
    """Django's login form (same checks, same lock-out), its identifier shown as what it is:
    an e-mail address, with the markup of every other form (templates/includes/field.html)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.label = _("E-mail address")
        username.help_text = _("For example: name@example.com")
        # type="text": HTML does not allow the "username" autofill on type="email";
        # inputmode keeps the phone's e-mail keyboard.
        username.widget = forms.TextInput(
            attrs={
                "autocomplete": "username",
                "inputmode": "email",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
                "maxlength": username.max_length,
            }
        )


class RegistrationForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("We send a link to it to confirm it. For example: name@example.com"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters; not only digits, not a common password."),
    )
    phone = MobileField()
    consent = forms.BooleanField(
        label=_(
            "I agree that my data is used to manage my appointments, and kept for the "
            "period shown above."
        ),
    )

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"].strip()).lower()

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            candidate = User(email=cleaned.get("email") or "")
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class PhoneCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code received by text message"),
        help_text=_("6 digits."),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class EmailChangeForm(forms.Form):
    email = forms.EmailField(
        label=_("New e-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class PhoneChangeForm(forms.Form):
    phone = MobileField(label=_("New mobile phone"))


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language of messages"), choices=language_choices)


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form (same users, same tokens), whose e-mail is owed
    through the outbox like every message (``services.password_reset_send``):
    retried when the mail server fails, its link made by the worker and never
    stored, and the page answers as fast whether the address has an account or not."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        services.password_reset_send(user=context["user"])
