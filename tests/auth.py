"""Logging personas in, in tests: staff with a confirmed TOTP device and an
OTP-verified session (what a real staff login ends with), applicants plainly
(or, if they turned two-factor authentication on, verified too)."""

from __future__ import annotations

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.otp import has_confirmed_device, is_staff_account

# The backend that loads the user back from the session (the first ones of
# AUTHENTICATION_BACKENDS only guard logins).
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def otp_device_confirm(user) -> TOTPDevice:
    """The user's confirmed TOTP device (created on first call)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    return device


def login(client: Client, user) -> Client:
    """Log ``user`` in; staff also pass the second factor, as at a real login."""
    client.force_login(user, backend=MODEL_BACKEND)
    if is_staff_account(user) or has_confirmed_device(user):
        device = otp_device_confirm(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client
