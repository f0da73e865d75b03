"""The code a person's authenticator app shows for a TOTP device."""

from __future__ import annotations

import time

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code the person's app shows now (or ``steps_ahead`` periods later,
    which the device accepts within its tolerance: a code is never accepted twice)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"
