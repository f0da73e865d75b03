"""What the tests of the mediators' console share: a message as the console
shows it (in French), the messages flashed, a consent recorded through the
console. Their fixtures (``point``, ``mediator``, ``web``, ``slots``) are in
``tests/mediation/console/conftest.py``."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from booking.models import Applicant


def fr(msgid: str) -> str:
    """``msgid`` as the console shows it (in French, the site's language)."""
    with translation.override("fr"):
        return gettext(msgid)


def messages_shown(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def post_consent(web: Client, person: Applicant, **changes):
    """The console's consent form, posted for ``person``: oral, for booking and
    SMS, valid 30 days; ``changes`` replace fields."""
    data = {
        "given_by": "person",
        "given_by_name": "",
        "method": "oral",
        "purposes": ["booking", "contact_sms"],
        "valid_until": (timezone.localdate() + timedelta(days=30)).isoformat(),
        **changes,
    }
    return web.post(reverse("mediation:consent_give", args=[person.pk]), data)
