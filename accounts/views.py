"""The account pages: register, confirm e-mail and phone, my account, lock-outs.

Server-rendered, no JavaScript needed. Changes go through ``accounts.services``;
a refusal is a ``DomainError`` shown as a message in the user's language.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import services
from accounts.forms import (
    EmailChangeForm,
    LanguageForm,
    PasswordResetForm,
    PhoneChangeForm,
    PhoneCodeForm,
    RegistrationForm,
)
from accounts.hooks import account_page_shown
from accounts.language import language_cookie_set
from accounts.lockout import locked_logins, lockout_clear
from accounts.models import Role, User
from accounts.otp_views import security_context
from accounts.permissions import can_unlock_logins, is_verified
from accounts.selectors import account_messages_shown
from core.antibot import antibot_check
from core.client import client_address
from core.errors import DomainError
from core.ratelimit import hit, ratelimited
from core.views import domain_error_message, domain_errors

MESSAGES_SHOWN = 30


def _retention_context() -> dict:
    return {
        "retention_months": settings.RETENTION_MONTHS,
        "unconfirmed_days": settings.ACCOUNTS_UNCONFIRMED_DAYS,
    }


@require_http_methods(["GET", "POST"])
@ratelimited("register")
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:me")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if (refused := antibot_check(request)) is not None:
                raise refused
            user = services.account_register(
                email=data["email"],
                password=data["password"],
                phone=data["phone"],
                consent=data["consent"],
                language=(get_language() or "fr")[:8],
            )
        except DomainError as exc:
            form.add_error(None, domain_error_message(exc))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("Your account is created. Confirm your e-mail address and your phone."),
            )
            return redirect("accounts:verify")
    return render(request, "accounts/register.html", {"form": form, **_retention_context()})


@require_GET
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/verify.html",
        {
            "code_form": PhoneCodeForm(),
            "pending": services.pending_phone_verification(user),
            "verified": is_verified(user),
        },
    )


def _to_verify(request: HttpRequest, *args, **kwargs) -> str:
    return reverse("accounts:verify")


@require_POST
@login_required
@domain_errors(fallback=_to_verify)
def email_resend(request: HttpRequest) -> HttpResponse:
    if request.user.email_verified_at is not None:
        messages.info(request, _("Your e-mail address is already confirmed."))
    else:
        services.email_confirmation_send(user=request.user)
        messages.success(
            request, _("A new link is on its way to %(email)s.") % {"email": request.user.email}
        )
    return redirect("accounts:verify")


@require_GET
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = services.email_confirm(token=token)
    except DomainError as exc:
        return render(
            request,
            "core/domain_error.html",
            {"message": domain_error_message(exc), "code": exc.code},
            status=exc.status,
        )
    messages.success(
        request, _("Your e-mail address %(email)s is confirmed.") % {"email": user.email}
    )
    if request.user.is_authenticated and request.user.pk == user.pk:
        return redirect("accounts:verify" if not is_verified(user) else "accounts:me")
    return redirect("accounts:login")


@require_POST
@login_required
@domain_errors(fallback=_to_verify)
def phone_code_resend(request: HttpRequest) -> HttpResponse:
    pending = services.pending_phone_verification(request.user)
    phone = pending.phone if pending is not None else None
    services.phone_code_send(user=request.user, phone=phone)
    messages.success(request, _("A new code is on its way by text message."))
    return redirect("accounts:verify")


@require_POST
@login_required
@domain_errors(fallback=_to_verify)
def phone_confirm(request: HttpRequest) -> HttpResponse:
    form = PhoneCodeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the 6-digit code."))
        return redirect("accounts:verify")
    services.phone_confirm(user=request.user, code=form.cleaned_data["code"])
    messages.success(request, _("Your mobile phone is confirmed."))
    return redirect("accounts:verify" if not is_verified(request.user) else "accounts:me")


# --- My account ------------------------------------------------------------------------


@require_GET
@login_required
def me(request: HttpRequest) -> HttpResponse:
    user = request.user
    # The apps above add their part (booking: the identity on file, ``applicant``).
    extra: dict = {"applicant": None}
    for _receiver, context in account_page_shown.send(sender=User, user=user):
        extra.update(context)
    return render(
        request,
        "accounts/me.html",
        {
            **extra,
            "verified": is_verified(user),
            "pending": services.pending_phone_verification(user),
            "language_form": LanguageForm(initial={"language": user.language}),
            "account_messages": account_messages_shown(
                user, extra["applicant"], limit=MESSAGES_SHOWN
            ),
            "is_applicant": user.role == Role.APPLICANT,
            **security_context(user),
            **_retention_context(),
        },
    )


def _to_me(request: HttpRequest, *args, **kwargs) -> str:
    return reverse("accounts:me")


@require_http_methods(["GET", "POST"])
@login_required
def email_change(request: HttpRequest) -> HttpResponse:
    form = EmailChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            # An address someone else uses answers the same and gets nothing.
            services.email_change_request(user=request.user, new_email=form.cleaned_data["email"])
        except DomainError as exc:
            form.add_error("email", domain_error_message(exc))
        else:
            messages.success(
                request,
                _(
                    "A confirmation link is on its way to %(email)s. Your current address "
                    "stays in use until you follow it."
                )
                % {"email": form.cleaned_data["email"]},
            )
            return redirect("accounts:me")
    return render(request, "accounts/email_change.html", {"form": form})


@require_http_methods(["GET", "POST"])
@login_required
def phone_change(request: HttpRequest) -> HttpResponse:
    form = PhoneChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.phone_code_send(user=request.user, phone=form.cleaned_data["phone"])
        except DomainError as exc:
            form.add_error("phone", domain_error_message(exc))
        else:
            messages.success(
                request,
                _(
                    "A code is on its way to the new number. Your current number stays in use "
                    "until you type it."
                ),
            )
            return redirect("accounts:verify")
    return render(request, "accounts/phone_change.html", {"form": form})


@require_POST
@login_required
def language(request: HttpRequest) -> HttpResponse:
    """The account's language, for its messages and its pages (the cookie too:
    ``accounts.language``)."""
    form = LanguageForm(request.POST)
    response = redirect("accounts:me")
    if form.is_valid():
        chosen = form.cleaned_data["language"]
        services.account_language_set(user=request.user, language=chosen)
        language_cookie_set(response, chosen)
        with translation.override(chosen):
            messages.success(request, _("Your language is saved."))
    return response


# --- Login lock-outs -------------------------------------------------------------------


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page, its e-mail owed through the outbox (``PasswordResetForm``)."""

    form_class = PasswordResetForm

    def form_valid(self, form):
        # Counted whatever the address (it answers the same for one without an
        # account): per recipient, per client address, and per account if any.
        user = self.request.user
        hit(
            "password_reset",
            account=user.pk if user.is_authenticated else None,
            email=form.cleaned_data["email"].strip().lower(),
            ip=client_address(self.request),
        )
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """A completed password reset also lifts the account's login lock-out
    (``accounts.lockout``): whoever reads the account's e-mail may log in again."""

    def form_valid(self, form):
        response = super().form_valid(form)
        lockout_clear(email=form.user.email)
        return response


@require_http_methods(["GET", "POST"])
@login_required
def lockouts(request: HttpRequest) -> HttpResponse:
    """Supervisors: the logins blocked now, and unlocking one (audited)."""
    if not can_unlock_logins(request.user):
        raise PermissionDenied
    if request.method == "POST":
        email = request.POST.get("email", "").strip()
        if "\x00" in email:  # no address has one, and PostgreSQL refuses it (a 500)
            email = ""
        try:
            services.account_unlock(actor=request.user, email=email)
        except DomainError as exc:
            messages.error(request, domain_error_message(exc))
        else:
            messages.success(request, _("The login of %(email)s is unlocked.") % {"email": email})
        return redirect("accounts:lockouts")
    return render(
        request,
        "accounts/lockouts.html",
        {
            "locked": locked_logins(),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "cool_off_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        },
    )
