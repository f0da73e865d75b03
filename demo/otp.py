"""The current second-factor codes of the demo staff accounts.

``demo_seed`` gives its staff accounts one TOTP device on a public demo key;
``demo_otp_codes`` says what an authenticator app would show for it, so that
a demo needs no phone. Refused with DEBUG off: a real server has no demo key.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from demo.guard import demo_guard
from demo.seed.accounts import DEMO_DOMAIN, DEMO_OTP_DEVICE


@dataclass(frozen=True)
class DemoCode:
    email: str
    code: str
    seconds_left: int


def demo_code(device: TOTPDevice, at: float | None = None) -> str:
    """The code ``device`` accepts at ``at`` (now by default)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = at if at is not None else time.time()
    return f"{totp.token():0{device.digits}d}"


def demo_otp_codes(*, force: bool = False) -> list[DemoCode]:
    """The code of each demo staff account now, by e-mail; empty before ``demo_seed``.

    Raises ``DemoRefused`` when DEBUG is off without ``force``.
    """
    demo_guard(force=force, refusal="DEBUG is off: demo codes are for the demo only (--force).")
    devices = (
        TOTPDevice.objects.filter(
            name=DEMO_OTP_DEVICE, confirmed=True, user__email__endswith=f"@{DEMO_DOMAIN}"
        )
        .select_related("user")
        .order_by("user__email")
    )
    now = time.time()
    return [
        DemoCode(
            email=device.user.email,
            code=demo_code(device, now),
            seconds_left=device.step - int(now - device.t0) % device.step,
        )
        for device in devices
    ]
