"""``manage.py dashboard_rebuild``: recompute the dashboard's kept past weeks."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from backoffice.dashboard import dashboard_weeks_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the dashboard's figures of every week over since the first slot "
        "(the hourly task keeps the last weeks; run this after a change of the "
        "figures' definitions, or to fill the table at once)."
    )

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        weeks = dashboard_weeks_rebuild()
        self.stdout.write(f"{weeks} weeks computed in {time.monotonic() - started:.1f} s.")
