"""French is the default language: every message a user can receive is translated."""

from __future__ import annotations

import importlib

import pytest
from django.utils import translation

from core.errors import DomainError


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


@pytest.fixture(scope="module")
def domain_errors():
    for module in ("booking.errors", "accounts.api.views"):
        importlib.import_module(module)
    return sorted(set(_all_subclasses(DomainError)), key=lambda cls: cls.__name__)


def test_every_domain_error_has_a_french_message(domain_errors):
    assert len(domain_errors) > 20
    untranslated = []
    for error in domain_errors:
        with translation.override("en"):
            english = str(error.default_message)
        with translation.override("fr"):
            french = str(error.default_message)
        if french == english:
            untranslated.append(error.__name__)
    assert untranslated == []


def test_every_domain_error_code_is_unique(domain_errors):
    codes = [error.code for error in domain_errors]
    assert len(codes) == len(set(codes))
