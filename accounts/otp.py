"""Who must pass the second factor, and the session state that says so.

Staff accounts (a staff role, or the admin's ``is_staff``/``is_superuser``)
always must: that is decided from the account alone, without a query.
Applicants may opt in; whether one has a confirmed device is looked up once,
at login, and kept in the session (``OTP_REQUIRED_SESSION_KEY``), so that
applicants' pages pay no query for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import qrcode
import qrcode.image.svg
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import STAFF_ROLES

if TYPE_CHECKING:
    from django.http import HttpRequest

    from accounts.models import User

OTP_REQUIRED_SESSION_KEY = "_otp_required"
BACKUP_CODES_COUNT = 10
BACKUP_DEVICE_NAME = "backup"
TOTP_DEVICE_NAME = "authenticator"


def is_staff_account(user: User) -> bool:
    """A staff account: two-factor authentication is mandatory for it."""
    return user.role in STAFF_ROLES or user.is_staff or user.is_superuser


def has_confirmed_device(user: User) -> bool:
    """Does ``user`` have a confirmed second factor (TOTP or backup codes)?"""
    return user_has_device(user, confirmed=True)


def has_authenticator(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def otp_required_for(user: User) -> bool:
    """Must ``user`` pass the second factor to log in or to get an API token?"""
    return is_staff_account(user) or has_confirmed_device(user)


def session_needs_otp(request: HttpRequest) -> bool:
    """Is ``request`` a logged-in session that has yet to pass the second factor?"""
    user = request.user
    if not user.is_authenticated or user.is_verified():
        return False
    return is_staff_account(user) or bool(request.session.get(OTP_REQUIRED_SESSION_KEY))


def backup_codes_left(user: User) -> int:
    device = StaticDevice.objects.filter(user=user, name=BACKUP_DEVICE_NAME).first()
    return device.token_set.count() if device is not None else 0


def qr_code_svg(text: str, *, label: str) -> SafeString:
    """``text`` as an inline SVG QR code (no script, no style), labelled for
    screen readers. The markup is qrcode's own, from ``text`` we made."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    svg = image.to_string(encoding="unicode")
    opening = format_html('<svg role="img" aria-label="{}" ', label)
    return mark_safe(svg.replace("<svg ", opening, 1))  # noqa: S308 - our own markup, label escaped
