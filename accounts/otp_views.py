"""Two-factor authentication pages: enrolment (QR code, secret, first code,
backup codes), verification after the password, and turning it off
(applicants only: it is mandatory for staff).

Server-rendered without any script: the QR code is inline SVG. Pages that
show a secret or backup codes are never cached.
"""

from __future__ import annotations

from base64 import b32encode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.errors import OtpMandatory
from accounts.models import Role
from accounts.otp import (
    OTP_REQUIRED_SESSION_KEY,
    backup_codes_left,
    has_authenticator,
    has_confirmed_device,
    is_staff_account,
    qr_code_svg,
)
from accounts.otp_forms import OtpCodeForm, PasswordConfirmForm
from accounts.permissions import can_manage_staff
from core.errors import DomainError
from core.views import domain_error_message

SETUP_DEVICE_SESSION_KEY = "_otp_setup_device"
BACKUP_CODES_SESSION_KEY = "_otp_backup_codes"


def _landing(user) -> str:
    """Where a login lands by default: the applicants' appointments; for staff
    (to whom those pages are closed) a supervisor's dashboard, the staff
    accounts (an administrator), a mediator's console (their access point's
    page), an agent's day's list, or their account."""
    if user.role == Role.SUPERVISOR:
        return reverse("agent:dashboard")
    if can_manage_staff(user):
        return reverse("staff:list")
    if user.role == Role.MEDIATOR:
        return reverse("mediation:home")
    if user.role == Role.AGENT:
        return reverse("agent:day")
    if is_staff_account(user):
        return reverse("accounts:me")
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _next_url(request: HttpRequest) -> str:
    """Where to go once done: ``next`` if it is a page of this site."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    default = resolve_url(settings.LOGIN_REDIRECT_URL)
    if (
        candidate.startswith("/")  # a path: redirect() takes anything else for a view name
        and candidate != default
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return _landing(request.user)


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}"


def security_context(user) -> dict:
    """The "two-factor authentication" part of "My account"."""
    return {
        "otp_enabled": has_authenticator(user),
        "otp_mandatory": is_staff_account(user),
        "backup_codes_left": backup_codes_left(user),
    }


def _setup_device(request: HttpRequest) -> TOTPDevice:
    """The unconfirmed device this session is enrolling, made on first visit."""
    pk = request.session.get(SETUP_DEVICE_SESSION_KEY)
    device = None
    if pk is not None:
        device = TOTPDevice.objects.filter(pk=pk, user=request.user, confirmed=False).first()
    if device is None:
        device = services.otp_device_start(user=request.user)
        request.session[SETUP_DEVICE_SESSION_KEY] = device.pk
    return device


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app; also replaces one from a verified session."""
    user = request.user
    next_url = _next_url(request)
    if not user.is_verified() and has_confirmed_device(user):
        # Whoever knows only the password must not add a device of their own.
        return redirect(_with_next(reverse("accounts:otp_verify"), next_url))
    device = _setup_device(request)
    form = OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = services.otp_device_confirm(
                user=user, device_id=device.pk, code=form.cleaned_data["code"]
            )
        except DomainError as exc:
            form.add_error("code", domain_error_message(exc))
        else:
            # The other sessions ended (services.sessions_and_tokens_end): this
            # one goes on, under a new key.
            update_session_auth_hash(request, user)
            otp_login(request, device)
            request.session.pop(SETUP_DEVICE_SESSION_KEY, None)
            request.session[OTP_REQUIRED_SESSION_KEY] = True
            request.session[BACKUP_CODES_SESSION_KEY] = codes
            messages.success(request, _("Two-factor authentication is on."))
            return redirect(_with_next(reverse("accounts:otp_backup_codes"), next_url))
    secret = b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "next": next_url,
            "qr_code": qr_code_svg(
                device.config_url, label=_("QR code to scan with your authenticator app")
            ),
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
            "replacing": has_authenticator(user),
            "mandatory": is_staff_account(user),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """The second step of a login: a code of the authenticator, or a backup code."""
    user = request.user
    next_url = _next_url(request)
    if user.is_verified():
        return redirect(next_url)
    if not has_confirmed_device(user):
        if is_staff_account(user):
            return redirect(_with_next(reverse("accounts:otp_setup"), next_url))
        return redirect(next_url)
    form = OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.otp_check(user=user, code=form.cleaned_data["code"])
        except DomainError as exc:
            form.add_error("code", domain_error_message(exc))
        else:
            request.session.cycle_key()
            otp_login(request, device)
            if isinstance(device, StaticDevice):
                left = device.token_set.count()
                messages.warning(
                    request,
                    _(
                        "You used a backup code: %(count)s left. Generate new ones from "
                        "your account."
                    )
                    % {"count": left},
                )
            return redirect(next_url)
    return render(request, "accounts/otp_verify.html", {"form": form, "next": next_url})


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def otp_backup_codes(request: HttpRequest) -> HttpResponse:
    """The backup codes, shown once after enrolment or after generating new ones."""
    user = request.user
    next_url = _next_url(request)
    if not user.is_verified():
        return redirect(_with_next(reverse("accounts:otp_verify"), request.get_full_path()))
    if not has_authenticator(user):
        return redirect("accounts:otp_setup")
    codes = request.session.pop(BACKUP_CODES_SESSION_KEY, None)
    if request.method == "POST":
        codes = services.otp_backup_codes_regenerate(user=user)
        messages.success(request, _("New backup codes are ready; the old ones no longer work."))
    return render(
        request,
        "accounts/otp_backup_codes.html",
        {"codes": codes, "left": backup_codes_left(user), "next": next_url},
    )


@require_http_methods(["GET", "POST"])
@login_required
def otp_disable(request: HttpRequest) -> HttpResponse:
    """An applicant turns two-factor authentication off, with their password."""
    user = request.user
    if is_staff_account(user):
        messages.info(request, domain_error_message(OtpMandatory()))
        return redirect("accounts:me")
    form = PasswordConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.otp_disable(user=user, password=form.cleaned_data["password"])
        except DomainError as exc:
            form.add_error("password", domain_error_message(exc))
        else:
            request.session.pop(OTP_REQUIRED_SESSION_KEY, None)
            request.session.pop(DEVICE_ID_SESSION_KEY, None)
            messages.success(request, _("Two-factor authentication is off."))
            return redirect("accounts:me")
    return render(request, "accounts/otp_disable.html", {"form": form})
