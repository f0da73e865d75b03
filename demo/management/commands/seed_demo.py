"""``python manage.py seed_demo``: load the Seine-Saint-Denis demo (``demo.seed.demo_seed``)
and print the demo accounts. DEBUG only, unless ``--force``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.guard import DemoRefused
from demo.seed import (
    ACCESS_POINTS,
    ADMIN_EMAIL,
    AGENT_EMAIL,
    APPLICANT_EMAIL,
    DEMO_DOMAIN,
    DEMO_PASSWORD,
    DEMO_TOTP_KEY_BASE32,
    MEDIATOR_EMAIL,
    SUPERVISOR_EMAIL,
    DemoSeeded,
    demo_seed,
)


class Command(BaseCommand):
    help = "Load the Seine-Saint-Denis demo: sites, procedures, capacity and one account per role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--applicants",
            type=int,
            default=0,
            metavar="N",
            help="Also create N applicants applicant1..N@demo.guichet.test with identities.",
        )
        parser.add_argument(
            "--weeks",
            type=int,
            default=4,
            metavar="N",
            help="Weeks of capacity to publish from today (default 4).",
        )
        parser.add_argument(
            "--password",
            default=DEMO_PASSWORD,
            help="Password of every demo account (default: the printed demo password).",
        )
        parser.add_argument(
            "--busy-year",
            action="store_true",
            help="Also seed a year of a busy prefecture for the dashboard (demo/dashboard.py: "
            "6 sites x 4 procedures, about 300,000 appointments, in bulk; once).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off: demo accounts with a known password.",
        )

    def handle(self, *args, **options) -> None:
        try:
            seeded = demo_seed(
                applicants=options["applicants"],
                weeks=options["weeks"],
                password=options["password"],
                force=options["force"],
            )
        except (DemoRefused, ValueError) as refused:
            raise CommandError(str(refused)) from None
        self._summary(seeded, applicants=options["applicants"], password=options["password"])
        if options["busy_year"]:
            self._busy_year()

    def _busy_year(self) -> None:
        from demo.dashboard import AlreadySeeded, busy_year_seed

        try:
            busy = busy_year_seed()
        except AlreadySeeded as seeded:
            self.stdout.write(str(seeded))
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"A busy year in {busy.seconds:.0f} s: {busy.slots:,} slots, "
                f"{busy.appointments:,} appointments, {busy.messages:,} messages, "
                f"{busy.failed_searches:,} searches that found nothing."
            )
        )

    def _summary(self, seeded: DemoSeeded, *, applicants: int, password: str) -> None:
        out = self.stdout.write
        out(
            self.style.SUCCESS(
                f"Demo data ready in {seeded.seconds:.1f} s: {seeded.sites} sites, "
                f"{seeded.procedures} procedures, {seeded.access_points} access points, "
                f"{seeded.slots_created} new slots ({seeded.slots} in all), "
                f"{seeded.applicants_created} new numbered applicants."
            )
        )
        out("Accounts (log in with the e-mail address):")
        for email, what in [
            (APPLICANT_EMAIL, "applicant, with a complete identity"),
            (MEDIATOR_EMAIL, f"mediator at {ACCESS_POINTS[0]['name']}"),
            (AGENT_EMAIL, "prefecture agent at every demo site"),
            (SUPERVISOR_EMAIL, "supervisor"),
            (ADMIN_EMAIL, "administrator (/admin/)"),
        ]:
            out(f"  {email:<32} {what}")
        if applicants:
            out(f"  applicant1..{applicants}@{DEMO_DOMAIN}  applicants with identities")
        out(f"Password of every demo account: {password}")
        out(
            "Staff accounts then ask for a second factor: run `python manage.py demo_otp` "
            f"for the current code, or add the key {DEMO_TOTP_KEY_BASE32} to an "
            "authenticator app."
        )
