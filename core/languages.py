"""The languages offered, read from ``settings.LANGUAGES`` and nowhere else.

Forms take ``language_choices`` itself (a callable), not its value: Django reads
it each time a form is built, so a language added to the settings is offered by
every form without a code change, and ``override_settings`` reaches them in tests.
"""

from __future__ import annotations

from django.conf import settings


def language_choices() -> list[tuple[str, str]]:
    """(code, name) of every language of the settings, in their order."""
    return [(code, name) for code, name in settings.LANGUAGES]


def language_codes() -> set[str]:
    """The codes of the languages of the settings."""
    return {code for code, _name in settings.LANGUAGES}
