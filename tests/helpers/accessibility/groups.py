"""Who visits (a session for every persona), in which languages, and the shares
of the visits the browser tests walk (``groups``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.test import Client
from django.utils.translation import get_language_info

from accounts.models import Role
from tests import factories
from tests.auth import MODEL_BACKEND, otp_device_confirm
from tests.helpers.accessibility.errors import ERROR_PAGES
from tests.helpers.accessibility.pages import PAGES
from tests.helpers.accessibility.visits import Visit
from tests.helpers.matrix import Personas
from tests.personas import World

# --- Who visits ---------------------------------------------------------------------------


def sessions(scenario: World) -> dict[str, str]:
    """A session key for every persona with an account, and for ``EXTRA_PERSONAS``."""
    keys = dict(Personas(scenario).sessions)
    newcomer = factories.UserFactory(role=Role.APPLICANT)
    client = Client()
    client.force_login(newcomer, backend=MODEL_BACKEND)
    keys["newcomer"] = client.cookies[settings.SESSION_COOKIE_NAME].value
    agent = factories.AgentFactory(sites=[scenario.sites["site"]])
    otp_device_confirm(agent)
    client = Client()
    client.force_login(agent, backend=MODEL_BACKEND)  # no second factor yet
    keys["unverified_agent"] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return keys


# --- Languages ----------------------------------------------------------------------------


def checked_languages() -> list[str]:
    """French, and every right-to-left language the project speaks (Arabic).

    English shares French's direction and markup; a right-to-left language
    mirrors the layout, which is where new problems hide."""
    codes = [code for code, _name in settings.LANGUAGES]
    return ["fr", *(code for code in codes if get_language_info(code)["bidi"])]


@dataclass
class Group:
    """A share of the visits, so that xdist spreads them over its workers."""

    name: str
    visits: list[tuple[str, Visit]] = field(default_factory=list)


def groups() -> list[Group]:
    by_name = {name: Group(name) for name in ("public", "applicant", "staff", "errors")}
    for key, visits in PAGES.items():
        for visit in visits:
            if visit.persona == "anonymous":
                name = "public"
            elif visit.persona in ("applicant", "other_applicant", "newcomer"):
                name = "applicant"
            else:
                name = "staff"
            by_name[name].visits.append((key, visit))
    for key, visits in ERROR_PAGES.items():
        by_name["errors"].visits.extend((f"error:{key}", visit) for visit in visits)
    return list(by_name.values())
