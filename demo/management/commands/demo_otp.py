"""``python manage.py demo_otp``: print the current second-factor code of the
demo staff accounts (``demo.otp``). DEBUG only, unless ``--force``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.guard import DemoRefused
from demo.otp import demo_otp_codes


class Command(BaseCommand):
    help = "Print the current two-factor code of the demo staff accounts (DEBUG only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, **options) -> None:
        try:
            codes = demo_otp_codes(force=options["force"])
        except DemoRefused as refused:
            raise CommandError(str(refused)) from None
        if not codes:
            raise CommandError("No demo staff account: run `python manage.py seed_demo` first.")
        for line in codes:
            self.stdout.write(f"{line.email:<32} {line.code}  (valid {line.seconds_left} s more)")
