"""``manage.py devdb start|stop|url|status``: the embedded PostgreSQL of development
(core/devdb.py). Needs no database itself: the settings only compute its URL."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError

from core import devdb


class Command(BaseCommand):
    help = "Start, stop or locate the embedded PostgreSQL of development (.devdb/)."
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["start", "stop", "url", "status"])
        parser.add_argument(
            "--when-unset",
            action="store_true",
            help="Do nothing when DATABASE_URL is set (in the environment or .env): "
            "what `make run` uses.",
        )

    def handle(self, *args, action: str, when_unset: bool, **options) -> None:
        # The settings have read .env into the environment by now.
        if when_unset and os.environ.get("DATABASE_URL"):
            if action == "start":
                self.stdout.write("DATABASE_URL is set: the embedded PostgreSQL is not used.")
            return
        try:
            if action == "start":
                was_running = devdb.running()
                address = devdb.start()
                verb = "is running" if was_running else "started"
                self.stdout.write(f"The embedded PostgreSQL {verb} ({devdb.DATA}): {address}")
            elif action == "stop":
                stopped = devdb.stop()
                self.stdout.write(
                    "Stopped." if stopped else "The embedded PostgreSQL was not running."
                )
            elif action == "url":
                self.stdout.write(devdb.url())
            elif not devdb.running():
                raise CommandError(f"The embedded PostgreSQL is not running ({devdb.DATA}).")
            else:
                self.stdout.write(f"Running ({devdb.DATA}): {devdb.url()}")
        except devdb.DevDBError as exc:
            raise CommandError(str(exc)) from exc
