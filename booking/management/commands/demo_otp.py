"""Print the current second-factor code of the demo staff accounts.

``seed_demo`` gives its staff accounts one TOTP device on a public demo key;
this prints what an authenticator app would show for it, so that a demo needs
no phone. Refused with DEBUG off: a real server has no demo key.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from booking.management.commands.seed_demo import DEMO_DOMAIN, DEMO_OTP_DEVICE


def demo_code(device: TOTPDevice, at: float | None = None) -> str:
    """The code ``device`` accepts at ``at`` (now by default)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = at if at is not None else time.time()
    return f"{totp.token():0{device.digits}d}"


class Command(BaseCommand):
    help = "Print the current two-factor code of the demo staff accounts (DEBUG only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("DEBUG is off: demo codes are for the demo only (--force).")
        devices = (
            TOTPDevice.objects.filter(
                name=DEMO_OTP_DEVICE, confirmed=True, user__email__endswith=f"@{DEMO_DOMAIN}"
            )
            .select_related("user")
            .order_by("user__email")
        )
        if not devices:
            raise CommandError("No demo staff account: run `python manage.py seed_demo` first.")
        now = time.time()
        for device in devices:
            left = device.step - int(now - device.t0) % device.step
            self.stdout.write(
                f"{device.user.email:<32} {demo_code(device, now)}  (valid {left} s more)"
            )
