"""Every message a user can receive is translated into every language of
``settings.LANGUAGES`` (English, the language of the code, is the source).

The domain errors are gathered from the modules that hold them, not from
whatever happens to be imported: every ``errors`` module (``<app>.errors``,
``<app>.api.errors``) of every installed app of the project, each asked for the
``DomainError`` subclasses it defines. A subclass defined anywhere else would
escape that list; ``test_every_domain_error_lives_in_an_errors_module`` imports
every module of the project's apps and fails on such a class, by name.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

import pytest
from django.apps import apps
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, DomainError

ROOT = Path(__file__).resolve().parent.parent
ERRORS_MODULES = ("errors", "api.errors")
# The language of the msgids: its text is the code's own.
SOURCE_LANGUAGE = "en"
TRANSLATED_LANGUAGES = [code for code, _name in settings.LANGUAGES if code != SOURCE_LANGUAGE]


def _project_apps() -> list:
    """The installed apps whose code is the project's (not a dependency's), by name."""
    return sorted(
        (
            config
            for config in apps.get_app_configs()
            # A project's folder may hold its virtualenv (``make install``'s .venv).
            if Path(config.path).parent == ROOT
        ),
        key=lambda config: config.name,
    )


def errors_modules() -> list[ModuleType]:
    """Every ``errors`` module (or package) of the project's apps, imported."""
    modules = []
    for config in _project_apps():
        for suffix in ERRORS_MODULES:
            path = Path(config.path, *suffix.split("."))
            if path.with_suffix(".py").is_file() or (path / "__init__.py").is_file():
                modules.append(importlib.import_module(f"{config.name}.{suffix}"))
    return modules


def defined_domain_errors(modules: list[ModuleType]) -> list[type[DomainError]]:
    """The ``DomainError`` subclasses ``modules`` define (not those they import)."""
    found = {
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, DomainError)
        and value is not DomainError
        and value.__module__ == module.__name__
    }
    return sorted(found, key=lambda cls: (cls.__module__, cls.__name__))


def untranslated(errors: list[type[DomainError]], language: str) -> list[str]:
    """The errors whose message reads the same in ``language`` as in English."""
    names = []
    for error in errors:
        with translation.override(SOURCE_LANGUAGE):
            english = str(error.default_message)
        with translation.override(language):
            translated = str(error.default_message)
        if translated == english:
            names.append(f"{error.__module__}.{error.__name__}")
    return names


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


@pytest.fixture(scope="module")
def domain_errors() -> list[type[DomainError]]:
    return defined_domain_errors(errors_modules())


def test_the_errors_modules_of_every_app_are_read():
    names = {module.__name__ for module in errors_modules()}

    assert {
        "accounts.errors",
        "booking.errors",
        "core.errors",
        "mediation.errors",
        "notifications.errors",
    } <= names


def test_every_language_but_the_source_is_checked():
    assert {"fr", "ar"} <= set(TRANSLATED_LANGUAGES)


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_every_domain_error_has_a_message_in_every_language(domain_errors, language):
    # 52 when this was written (48 of the apps, 4 of core), where gathering
    # by import order found 48.
    assert len(domain_errors) >= 52
    assert untranslated(domain_errors, language) == []


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_an_untranslated_error_is_caught(language):
    """The check itself: an error whose message has no entry in the catalogue is named."""

    class BrandNew(Conflict):
        code = "brand_new"
        default_message = _("A message nobody has translated yet.")

    module = ModuleType("guichet_test_errors")
    BrandNew.__module__ = module.__name__
    module.BrandNew = BrandNew

    assert untranslated(defined_domain_errors([module]), language) == [
        "guichet_test_errors.BrandNew"
    ]


def test_every_domain_error_code_is_unique(domain_errors):
    """Each code is defined once; a subclass that keeps its parent's code (a more
    precise message for the same refusal) does not define it again."""
    codes = [error.code for error in domain_errors if "code" in vars(error)]
    assert len(codes) == len(set(codes))


def test_every_domain_error_lives_in_an_errors_module(domain_errors):
    """Import every module of the project's apps: a ``DomainError`` subclass
    defined outside an ``errors`` module would escape the checks above."""
    for config in _project_apps():
        for info in pkgutil.walk_packages([config.path], prefix=f"{config.name}."):
            if ".migrations" not in info.name and ".tests" not in info.name:
                importlib.import_module(info.name)

    stray = sorted(
        f"{cls.__module__}.{cls.__name__}"
        for cls in set(_all_subclasses(DomainError)) - set(domain_errors)
        if not cls.__module__.startswith("guichet_test_")
    )

    assert stray == []
