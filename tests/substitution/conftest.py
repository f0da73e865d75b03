from __future__ import annotations

from datetime import date

import pytest
from django.core.cache import cache
from django.test import override_settings

from booking.identity import Identity
from booking.models import Pool
from substitution import services
from tests import factories
from tests.notifications.conftest import fake_twilio, twilio  # noqa: F401 - fixtures

FORM = {
    "surname": "N'Diaye",
    "given_names": "Élodie",
    "birth_date": "1991-03-04",
    "nationality": "SN",
    "document_type": "agdref",
    "document_number": "93 12 345 678",
    "reason": "nothing_free",
    "account": "Nothing free since September.",
    "phone": "06 12 34 56 78",
    "email": "elodie@example.test",
    "postal_address": "",
    "language": "fr",
}


def form_data(procedure, site=None, **changes) -> dict:
    return {**FORM, "procedure": procedure.pk, "site": site.pk if site else "", **changes}


def identity(**changes) -> Identity:
    fields = {
        "surname": "N'Diaye",
        "given_names": "Élodie",
        "birth_date": date(1991, 3, 4),
        "nationality": "SN",
        "document_type": "agdref",
        "document_number": "9312345678",
    }
    return Identity(**(fields | changes))


def file_request(procedure, site=None, **changes):
    """A request filed through the service, as the form files it."""
    fields = {
        "identity": identity(),
        "procedure": procedure,
        "site": site,
        "reason": "nothing_free",
        "phone": "+33612345678",
        "email": "elodie@example.test",
        "language": "fr",
    }
    return services.substitution_request_create(**(fields | changes))


def rates(**scopes):
    """The test's own RATELIMITS: ``substitution={"ip": (1, 60)}``."""
    return override_settings(RATELIMITS=scopes)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def filed(procedure, site):
    return file_request(procedure, site)


@pytest.fixture
def priority_slot(site, procedure):
    return factories.SlotFactory(site=site, procedure=procedure, pool=Pool.PRIORITY)
