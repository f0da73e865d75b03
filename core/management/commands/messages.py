"""``manage.py messages``: what ``make messages`` runs. Extracts the strings of the
code and templates into the catalogue of every language of ``settings.LANGUAGES``
(creating the catalogue of a new one), then compiles them.

The languages are read from the settings, never listed here: adding a language is
a line in ``LANGUAGES`` and the translation of the catalogue this writes
(docs/translations.md). tests/test_catalogues.py runs the same extraction.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

# Code whose strings no user reads, and the virtualenv of `make install`.
IGNORED = ("bench/*", "tests/*", "scripts/*", ".venv/*")


def makemessages_options() -> dict:
    """The options of ``makemessages`` (``call_command``'s names): one catalogue
    per language of the settings, without obsolete entries or source locations
    (they would change with every edit of the code)."""
    return {
        "locale": [code for code, _name in settings.LANGUAGES],
        "ignore_patterns": list(IGNORED),
        "no_obsolete": True,
        "no_location": True,
    }


class Command(BaseCommand):
    help = "Extract the strings for every language of settings.LANGUAGES, then compile them."
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--no-compile",
            action="store_true",
            help="Extract only (what the catalogue test compares with the committed catalogues).",
        )

    def handle(self, *args, no_compile: bool, **options) -> None:
        verbosity = options["verbosity"]
        call_command("makemessages", verbosity=verbosity, **makemessages_options())
        if not no_compile:
            call_command("compilemessages", verbosity=verbosity, ignore_patterns=[".venv/*"])
