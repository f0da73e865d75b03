"""A visit of the accessibility harness (``Visit``), and what visits are built
with: the states that put the world in the shape a page needs and put it back
(``nothing_free``, ``locked_login``, ``namesakes``, ``person_chosen``...), and the
small builders of URL arguments and values the areas share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date, timedelta
from unittest import mock
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db.models import F
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from booking.models import Slot
from tests.helpers.matrix import closure_at
from tests.personas import World

# Personas the world does not have: an account that has not given its identity
# yet, and a staff member past the password but not the second factor.
EXTRA_PERSONAS = ("newcomer", "unverified_agent")

State = Callable[[World], AbstractContextManager]


def _no_state(scenario: World) -> AbstractContextManager:
    return nullcontext()


def _with_a_closure(scenario: World) -> dict:
    """No URL arguments; a closure of the agent's site to list."""
    closure_at(scenario, "site")
    return {}


@dataclass(frozen=True)
class Visit:
    persona: str
    kwargs: Callable[[World], dict] = lambda s: {}
    query: dict | None = None
    label: str = ""
    status: int = 200
    # Submit the page's form with these values (the browser's validation off): the form with errors.
    errors: dict[str, str] | None = None
    form: str | None = None  # which form, when ``errors`` names no field; else the one holding them
    # Submit the page's form with these values (a checkbox: True), pressing ``button``
    # (a selector within the form; else its first submit button): what a POST answers.
    submit: dict[str, str | bool] | None = None
    button: str | None = None
    state: State = _no_state
    path: Callable[[World], str] | None = None
    # The template an error page is rendered from (checked): HTML error responses of
    # the permission matrix must come from one of these.
    template: str | None = None

    def url(self, key: str, scenario: World) -> str:
        base = self.path(scenario) if self.path else reverse(key, kwargs=self.kwargs(scenario))
        if self.query:
            base += "?" + urlencode(self.query)
        return base

    def name(self, key: str) -> str:
        parts = [key, self.persona]
        if self.label:
            parts.append(self.label)
        if self.errors is not None:
            parts.append("with errors")
        return " / ".join(parts)


# --- States -------------------------------------------------------------------------------


@contextmanager
def nothing_free(scenario: World) -> Iterator[None]:
    """Every slot full: the booking path's 'nothing free' page."""
    capacities = dict(Slot.objects.values_list("pk", "capacity"))
    Slot.objects.update(capacity=F("booked"))
    try:
        yield
    finally:
        for pk, capacity in capacities.items():
            Slot.objects.filter(pk=pk).update(capacity=capacity)


@contextmanager
def locked_login(scenario: World) -> Iterator[None]:
    """The applicant's e-mail locked out: the supervisors' list of lock-outs has an item."""
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.create(
        username=scenario.users["applicant"].email,
        ip_address="192.0.2.1",
        user_agent="test",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
        get_data="",
        post_data="",
        http_accept="",
        path_info=reverse("accounts:login"),
    )
    try:
        yield
    finally:
        attempt.delete()


@contextmanager
def walk_in_reads_arabic(scenario: World) -> Iterator[None]:
    """The walk-in prefers Arabic: their convocation has a second part, right to left."""
    walk_in = scenario.people["walk_in"]
    before = walk_in.preferred_language
    walk_in.preferred_language = "ar"
    walk_in.save(update_fields=["preferred_language"])
    try:
        yield
    finally:
        walk_in.preferred_language = before
        walk_in.save(update_fields=["preferred_language"])


def _settings(**values) -> State:
    return lambda scenario: override_settings(**values)


def _home_raising(exc: Exception) -> State:
    """The home page's view fails with ``exc`` (the live server runs in this process)."""
    return lambda scenario: mock.patch("core.views.render", side_effect=exc)


_ZERO_RATE = {scope: dict.fromkeys(rates, (0, 60)) for scope, rates in settings.RATELIMITS.items()}


def _ref(name: str) -> Callable[[World], dict]:
    return lambda s: {"reference": s.appointments[name].reference}


def _reset_link(scenario: World) -> dict:
    user = scenario.users["applicant"]
    return {
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }


@contextmanager
def attempts_history(scenario: World) -> Iterator[None]:
    """The applicant searched in vain over three weeks (the record of attempts)."""
    from attempts.models import FailedSearch
    from attempts.services import failed_search_record

    now = timezone.now()
    for days, sites in ((15, ()), (8, ("site",)), (1, ())):
        failed_search_record(
            user=scenario.users["applicant"],
            procedure="procedure",
            sites=sites,
            now=now - timedelta(days=days),
        )
    try:
        yield
    finally:
        FailedSearch.objects.filter(applicant=scenario.people["applicant"]).delete()


def _issued_code(scenario: World) -> dict:
    from attempts.services import record_issue

    applicant = scenario.people["applicant"]
    return {"code": record_issue(actor=applicant.user, applicant=applicant).code}


def _counter_day_path(scenario: World, key: str, *, days: int = 3) -> str:
    """The site's day in ``days`` days (the world's appointments are in three)."""
    day = timezone.localdate() + timedelta(days=days)
    return f"{reverse(key)}?{urlencode({'site': scenario.sites['site'].slug, 'date': day})}"


# The people of the world the agents' search finds both by this surname and birth date.
NAMESAKES = {"surname": "Traoré", "birth_date": date(1990, 5, 17)}


@contextmanager
def namesakes(scenario: World) -> Iterator[None]:
    """The applicant and the walk-in (both booked at the agent's site) share a
    surname and a date of birth: the agents' search lists them both."""
    from booking.identity.normalize import normalize_name
    from booking.models import Applicant

    people = [scenario.people["applicant"], scenario.people["walk_in"]]
    before = list(
        Applicant.objects.filter(pk__in=[p.pk for p in people]).values(
            "pk", "surname", "surname_normalized", "birth_date"
        )
    )
    Applicant.objects.filter(pk__in=[p.pk for p in people]).update(
        surname=NAMESAKES["surname"],
        surname_normalized=normalize_name(NAMESAKES["surname"]),
        birth_date=NAMESAKES["birth_date"],
    )
    try:
        yield
    finally:
        for row in before:
            Applicant.objects.filter(pk=row.pop("pk")).update(**row)


@contextmanager
def person_chosen(scenario: World) -> Iterator[None]:
    """The agent found the applicant at the first step of recording a court
    order: the second step (the order's form) is what the page shows. Written
    into the agent's sessions, as the first step's POST does."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    from backoffice.views.injunctions import _CHOSEN

    agent = str(scenario.users["agent"].pk)
    stores = [
        SessionStore(session_key=row.session_key)
        for row in Session.objects.filter(expire_date__gt=timezone.now())
        if row.get_decoded().get("_auth_user_id") == agent
    ]
    for store in stores:
        store[_CHOSEN] = scenario.people["applicant"].pk
        store.save()
    try:
        yield
    finally:
        for store in stores:
            store.pop(_CHOSEN, None)
            store.save()


@contextmanager
def own_checked_in(scenario: World) -> Iterator[None]:
    """The applicant's appointment checked in: the day's list offers "done"."""
    from booking.models import Appointment

    own = scenario.appointments["own"]
    Appointment.objects.filter(pk=own.pk).update(status="checked_in")
    try:
        yield
    finally:
        Appointment.objects.filter(pk=own.pk).update(status=own.status)


_BOOKING = {"procedure": "procedure", "site": "site"}
_WRONG = "not-an-e-mail"
