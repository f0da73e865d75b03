"""What the accessibility harness visits: every page of the project, in the states that matter.

``PAGES`` maps each URL pattern that renders HTML (its key in the permission
matrix, ``tests/helpers/matrix.py``) to its visits; ``ERROR_PAGES`` holds the
error pages, reached by what really produces them (a wrong host, a raising
view, a rate limit at zero...). A ``Visit`` is one page state as one persona of
the persona world (``tests/personas.py``), or one of ``EXTRA_PERSONAS``:

- ``errors``: fields to fill before submitting the page's form with the
  browser's own validation off, to check the form re-rendered with its errors;
- ``submit``: fields to fill before submitting the page's form (with
  ``button``, the submit button to press): a page only a POST reaches (a
  preview, a list of people found), checked as it is answered;
- ``state``: a context manager that puts the world (or the settings) in the
  state the page needs, and puts it back.

``tests/browser/test_accessibility_routes.py`` checks that no URL pattern
renders HTML without visits here (a rule, asked of every case of the permission
matrix, not a list of exceptions); ``tests/browser/test_accessibility.py``
runs axe-core on every visit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta
from unittest import mock
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import OperationalError
from django.db.models import F
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import get_language_info

from accounts.models import Role
from booking.models import Slot
from notifications.services import unsubscribe_token
from tests import factories
from tests.auth import MODEL_BACKEND, otp_device_confirm
from tests.helpers import waitlist_pages, wstaff
from tests.helpers.abuse import abuse_seeded, account_suspended
from tests.helpers.matrix import (
    Personas,
    _calendar_day,
    closure_at,
    injunction_at,
    substitution_request,
)
from tests.helpers.transparency import transparency_figures as _transp_state
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

# --- The pages ----------------------------------------------------------------------------

PAGES: dict[str, list[Visit]] = {
    # --- Public pages (the header differs once logged in)
    "home": [Visit("anonymous"), Visit("applicant"), Visit("agent")],
    "accessibility": [Visit("anonymous"), Visit("applicant")],
    # Each persona's own site map: personal pages, or the work area.
    "site_map": [Visit("anonymous"), Visit("applicant"), Visit("mediator"), Visit("supervisor")],
    "mediation:points": [Visit("anonymous")],
    "mediation:substitution": [Visit("anonymous")],
    # --- The substitution route
    "substitution:request": [
        Visit("anonymous"),
        Visit("anonymous", errors={"surname": "", "document_number": "12"}),
    ],
    "substitution:status": [
        Visit("anonymous"),
        Visit("anonymous", errors={"tracking": "SAAAAAAAAA", "birth_date": "1990-01-02"}),
    ],
    "substitution_agent:queue": [Visit("agent"), Visit("supervisor", query={"state": "all"})],
    "substitution_agent:detail": [
        Visit("agent", kwargs=lambda s: {"pk": substitution_request(s, "site").pk}),
        Visit(
            "agent",
            kwargs=lambda s: {"pk": substitution_request(s, "site", answered=True).pk},
            label="answered",
        ),
    ],
    "substitution_agent:book": [
        Visit(
            "agent",
            path=lambda s: reverse(
                "substitution_agent:detail", args=[substitution_request(s, "site").pk]
            ),
            errors={},
            form='main form[action$="/book/"]',
        )
    ],
    "substitution_agent:answer": [
        Visit(
            "agent",
            path=lambda s: reverse(
                "substitution_agent:detail", args=[substitution_request(s, "site").pk]
            ),
            errors={"answer": ""},
        )
    ],
    "notifications:alert_unsubscribe": [
        Visit("anonymous", kwargs=lambda s: {"token": unsubscribe_token(s.alert.pk)})
    ],
    # --- Accounts
    "accounts:login": [
        Visit("anonymous"),
        Visit("anonymous", errors={"username": "nobody@example.test", "password": "wrong"}),
    ],
    "accounts:register": [Visit("anonymous"), Visit("anonymous", errors={"email": _WRONG})],
    "accounts:verify": [Visit("applicant")],
    "accounts:email_confirm": [
        Visit(
            "anonymous",
            kwargs=lambda s: {"token": "not-a-token"},
            status=409,
            template="core/domain_error.html",
            label="a link that is not valid",
        )
    ],
    "accounts:password_reset": [
        Visit("anonymous"),
        Visit("anonymous", errors={"email": _WRONG}),
    ],
    "accounts:password_reset_done": [Visit("anonymous")],
    "accounts:password_reset_confirm": [
        Visit(
            "anonymous",
            kwargs=lambda s: {"uidb64": "MQ", "token": "not-a-token"},
            label="a link that is not valid",
        ),
        Visit("anonymous", kwargs=_reset_link, label="a valid link"),
        Visit(
            "anonymous",
            kwargs=_reset_link,
            label="a valid link",
            errors={"new_password1": "a", "new_password2": "b"},
        ),
    ],
    "accounts:password_reset_complete": [Visit("anonymous")],
    "accounts:password_change": [
        Visit("applicant"),
        Visit("applicant", errors={"old_password": "wrong"}),
    ],
    "accounts:password_change_done": [Visit("applicant")],
    "accounts:me": [Visit("applicant"), Visit("agent")],
    "accounts:email_change": [Visit("applicant"), Visit("applicant", errors={"email": _WRONG})],
    "accounts:phone_change": [Visit("applicant"), Visit("applicant", errors={"phone": "12"})],
    "accounts:delete": [Visit("applicant"), Visit("applicant", errors={"password": "wrong"})],
    "accounts:tokens": [Visit("applicant", label="a token")],
    "accounts:otp_setup": [Visit("applicant"), Visit("applicant", errors={"code": "000000"})],
    "accounts:otp_verify": [
        Visit("unverified_agent"),
        Visit("unverified_agent", errors={"code": "000000"}),
    ],
    "accounts:otp_backup_codes": [Visit("agent")],
    "accounts:otp_disable": [Visit("applicant")],
    # --- Supervisors
    "accounts:lockouts": [Visit("supervisor", label="a locked login", state=locked_login)],
    "staff:list": [Visit("supervisor")],
    "staff:create": [Visit("supervisor"), Visit("supervisor", errors={"email": _WRONG})],
    "staff:edit": [Visit("supervisor", kwargs=lambda s: {"user_id": s.colleague.pk})],
    "audit:search": [
        Visit("supervisor", label="the trail"),
        Visit("supervisor", query={"date_from": "not-a-date"}, label="a wrong date"),
    ],
    # --- Agents
    "agent:identity_correct": [
        Visit("agent", kwargs=lambda s: {"pk": s.people["applicant"].pk}),
        Visit(
            "agent",
            kwargs=lambda s: {"pk": s.people["applicant"].pk},
            errors={"surname": "", "reason": ""},
        ),
    ],
    # --- Agents at the counter (the world's appointments are in three days)
    "agent:day": [
        Visit("agent", label="today, nobody"),
        Visit("agent", path=lambda s: _counter_day_path(s, "agent:day"), label="a day of rows"),
        Visit(
            "supervisor",
            path=lambda s: _counter_day_path(s, "agent:day"),
            label="one checked in, the choice of site",
            state=own_checked_in,
        ),
        Visit("agent", query={"date": "not-a-date"}, label="a wrong date"),
    ],
    "agent:checkin": [
        Visit("agent"),
        Visit("agent", errors={"reference": "", "document_number": ""}),
        # A refusal re-renders the form with the refusal's status (here: no such reference).
        Visit(
            "agent",
            label="an unknown reference",
            errors={"reference": "ZZZZ2222", "document_number": "X1"},
            status=404,
            template="office/counter/checkin.html",
        ),
        Visit("supervisor", label="with the override"),
    ],
    "agent:close_day": [
        Visit("agent", path=lambda s: _counter_day_path(s, "agent:close_day", days=0)),
    ],
    "agent:closures": [Visit("agent", label="with a closure", kwargs=_with_a_closure)],
    "agent:closure_new": [
        Visit("agent"),
        Visit("agent", errors={"date_from": "31/02/2026", "reason": ""}),
    ],
    "agent:closure": [Visit("agent", kwargs=lambda s: {"pk": closure_at(s, "site").pk})],
    # --- Agents: court-ordered convocations
    "agent:injunctions": [
        Visit("agent"),
        Visit("supervisor", query={"state": "overdue"}, label="filtered"),
    ],
    "agent:injunction_new": [
        Visit("agent"),
        Visit("agent", errors={"document-document_number": "", "document-birth_date": "x"}),
        Visit("agent", errors={"walk_in-surname": "", "walk_in-birth_date": "x"}),
        # The second step: the person found, the order's form.
        Visit("agent", label="the order's form", state=person_chosen),
    ],
    "agent:injunction": [
        Visit("agent", kwargs=lambda s: {"pk": injunction_at(s, "site").pk}),
        Visit(
            "agent",
            kwargs=lambda s: {"pk": injunction_at(s, "site").pk},
            query={"pools": "all"},
            label="every pool",
        ),
    ],
    "agent:injunction_convocation": [
        Visit(
            "agent",
            path=lambda s: (
                reverse("agent:injunction", args=[injunction_at(s, "site").pk]) + "?pools=all"
            ),
            errors={},
            form='main form[action$="/convocation/"]',
        )
    ],
    # --- Agents: finding a person, their page, registering a walk-in, booking for them
    "agent:search": [
        Visit("agent"),
        Visit("agent", label="a surname alone", errors={"name-surname": "Diallo"}),
        Visit("agent", label="nobody found", errors={"document-document_number": "ZZ0000000"}),
        Visit(
            "agent",
            label="several people found",
            state=namesakes,
            submit={
                "name-surname": NAMESAKES["surname"],
                "name-birth_date": NAMESAKES["birth_date"].isoformat(),
            },
        ),
    ],
    "agent:register": [
        Visit("agent"),
        Visit("agent", errors={"surname": "", "birth_date": "31/02/1990", "phone": "12"}),
    ],
    "agent:person": [Visit("agent", kwargs=lambda s: {"pk": s.people["applicant"].pk})],
    "agent:book_procedures": [Visit("agent", kwargs=lambda s: {"pk": s.people["applicant"].pk})],
    "agent:book_sites": [
        Visit("agent", kwargs=lambda s: {"pk": s.people["applicant"].pk, "procedure": "procedure"}),
        Visit(
            "agent",
            kwargs=lambda s: {"pk": s.people["applicant"].pk, "procedure": "procedure"},
            state=nothing_free,
            label="nothing free",
        ),
    ],
    "agent:book_days": [
        Visit(
            "agent",
            path=lambda s: (
                reverse(
                    "agent:book_days",
                    kwargs={"pk": s.people["applicant"].pk, **_BOOKING},
                )
                + "?date="
                + s.slots["free"].starts_at.date().isoformat()
            ),
        )
    ],
    "agent:book_confirm": [
        Visit(
            "agent",
            kwargs=lambda s: {"pk": s.people["applicant"].pk, "slot_id": s.slots["spare"].pk},
        )
    ],
    "agent:appointment_cancel": [
        Visit(
            "agent",
            kwargs=lambda s: {
                "pk": s.people["applicant"].pk,
                "reference": s.appointments["own"].reference,
            },
        )
    ],
    "agent:appointment_reschedule": [
        Visit(
            "agent",
            path=lambda s: (
                reverse(
                    "agent:appointment_reschedule",
                    kwargs={
                        "pk": s.people["applicant"].pk,
                        "reference": s.appointments["own"].reference,
                    },
                )
                + "?date="
                + s.slots["free"].starts_at.date().isoformat()
            ),
        )
    ],
    "agent:appointment_reschedule_confirm": [
        Visit(
            "agent",
            kwargs=lambda s: {
                "pk": s.people["applicant"].pk,
                "reference": s.appointments["own"].reference,
                "slot_id": s.slots["free"].pk,
            },
        )
    ],
    # --- Agents: capacity
    "agent:publish": [
        Visit("agent"),
        Visit("agent", errors={"counters": "", "range_1_start": "09:00"}),
        Visit(
            "agent",
            label="the preview",
            submit={
                "weekdays": True,
                "range_1_start": "09:00",
                "range_1_end": "11:00",
                "slot_minutes": "30",
                "counters": "3",
                "mediation_counters": "1",
                "priority_counters": "1",
            },
            button='button[value="preview"]',
        ),
    ],
    "agent:calendar": [
        Visit("agent", label="the week"),
        Visit(
            "agent",
            query={"site": "site", "procedure": "procedure", "view": "month"},
            label="the month",
        ),
    ],
    "agent:calendar_day": [
        Visit("agent", kwargs=_calendar_day),
        # The booked slot (two appointments) reduced to none: refused, said at the top.
        Visit("agent", kwargs=_calendar_day, errors={"capacity": "0"}),
    ],
    "agent:dashboard": [
        Visit("supervisor", label="every site"),
        Visit("agent", query={"site": "site", "period": "past"}, label="one site, past weeks"),
        Visit("agent", query={"period": "forever"}, status=400, label="a wrong period"),
    ],
    # --- The mediators' console
    "mediation:home": [Visit("mediator"), Visit("supervisor", label="the points")],
    "mediation:find": [
        Visit("mediator"),
        Visit("mediator", errors={"document-document_number": "", "document-birth_date": "x"}),
        Visit(
            "mediator",
            label="nobody found",
            errors={"document-document_number": "ZZ0000000", "document-birth_date": "1990-01-01"},
        ),
    ],
    "mediation:register": [
        Visit("mediator"),
        Visit("mediator", errors={"surname": "", "birth_date": "31/02/1990", "phone": "12"}),
    ],
    "mediation:cap_raise": [
        Visit("supervisor"),
        Visit(
            "supervisor",
            label="a point chosen",
            path=lambda s: reverse("mediation:cap_raise") + f"?access_point={s.points['point'].pk}",
        ),
        Visit("supervisor", errors={"reason": "", "extra": "0"}),
    ],
    "mediation:hours": [
        Visit("mediator"),
        Visit(
            "mediator",
            errors={
                "d0_morning_opens": "12:00",
                "d0_morning_closes": "09:00",
                "d1_afternoon_opens": "14:00",
            },
        ),
    ],
    "mediation:person": [Visit("mediator", kwargs=lambda s: {"pk": s.people["walk_in"].pk})],
    "mediation:consent_give": [
        Visit("mediator", kwargs=lambda s: {"pk": s.people["walk_in"].pk}),
        Visit(
            "mediator",
            kwargs=lambda s: {"pk": s.people["walk_in"].pk},
            errors={"given_by_name": ""},
        ),
    ],
    "mediation:book_procedures": [
        Visit("mediator", kwargs=lambda s: {"pk": s.people["walk_in"].pk})
    ],
    "mediation:book_sites": [
        Visit(
            "mediator", kwargs=lambda s: {"pk": s.people["walk_in"].pk, "procedure": "procedure"}
        ),
        Visit(
            "mediator",
            kwargs=lambda s: {"pk": s.people["walk_in"].pk, "procedure": "procedure"},
            state=nothing_free,
            label="nothing free",
        ),
    ],
    "mediation:book_days": [
        Visit(
            "mediator",
            path=lambda s: (
                reverse(
                    "mediation:book_days",
                    kwargs={"pk": s.people["walk_in"].pk, **_BOOKING},
                )
                + "?date="
                + s.slots["free"].starts_at.date().isoformat()
            ),
        )
    ],
    "mediation:book_confirm": [
        Visit(
            "mediator",
            kwargs=lambda s: {"pk": s.people["walk_in"].pk, "slot_id": s.slots["spare"].pk},
        )
    ],
    "mediation:appointment_cancel": [
        Visit(
            "mediator",
            kwargs=lambda s: {
                "pk": s.people["walk_in"].pk,
                "reference": s.appointments["walk_in"].reference,
            },
        )
    ],
    "mediation:appointment_reschedule": [
        Visit(
            "mediator",
            path=lambda s: (
                reverse(
                    "mediation:appointment_reschedule",
                    kwargs={
                        "pk": s.people["walk_in"].pk,
                        "reference": s.appointments["walk_in"].reference,
                    },
                )
                + "?date="
                + s.slots["free"].starts_at.date().isoformat()
            ),
        )
    ],
    "mediation:appointment_reschedule_confirm": [
        Visit(
            "mediator",
            kwargs=lambda s: {
                "pk": s.people["walk_in"].pk,
                "reference": s.appointments["walk_in"].reference,
                "slot_id": s.slots["free"].pk,
            },
        )
    ],
    # --- Booking, for applicants
    "booking:procedures": [Visit("applicant", label="one booked"), Visit("newcomer")],
    "booking:sites": [
        Visit("applicant", kwargs=lambda s: {"procedure": "procedure"}),
        Visit(
            "applicant",
            kwargs=lambda s: {"procedure": "procedure"},
            state=nothing_free,
            label="nothing free",
        ),
    ],
    "booking:days": [Visit("applicant", kwargs=lambda s: _BOOKING)],
    "booking:times": [
        Visit(
            "applicant",
            path=lambda s: (
                reverse("booking:times", kwargs=_BOOKING)
                + "?date="
                + s.slots["free"].starts_at.date().isoformat()
            ),
        )
    ],
    "booking:confirm": [Visit("applicant", kwargs=lambda s: {"slot_id": s.slots["free"].pk})],
    "booking:identity": [
        Visit("applicant", label="on file"),
        Visit("newcomer", label="the form"),
        Visit("newcomer", label="the form", errors={"surname": "", "birth_date": "31/02/1990"}),
    ],
    "booking:identity_claim": [
        Visit("newcomer", label="the form"),
        Visit("newcomer", label="the form", errors={"reference": "", "birth_date": "31/02/1990"}),
    ],
    "booking:my_appointments": [
        Visit("applicant", label="one appointment"),
        Visit("newcomer", label="none"),
    ],
    "booking:appointment_detail": [Visit("applicant", kwargs=_ref("own"))],
    "booking:convocation": [
        Visit("applicant", kwargs=_ref("own"), label="French only"),
        Visit(
            "mediator",
            kwargs=_ref("walk_in"),
            label="printed for a walk-in, French and Arabic",
            state=walk_in_reads_arabic,
        ),
    ],
    "booking:appointment_cancel": [Visit("applicant", kwargs=_ref("own"))],
    "booking:appointment_reschedule": [Visit("applicant", kwargs=_ref("own"))],
    "booking:appointment_reschedule_confirm": [
        Visit(
            "applicant",
            kwargs=lambda s: {
                "reference": s.appointments["own"].reference,
                "slot_id": s.slots["free"].pk,
            },
        )
    ],
    "notifications:alerts": [
        Visit("applicant", label="one alert"),
        Visit("other_applicant", label="none"),
    ],
    "notifications:alert_subscribe": [
        Visit("applicant", kwargs=lambda s: {"procedure": "procedure"}),
        Visit(
            "applicant",
            kwargs=lambda s: {"procedure": "procedure"},
            errors={},
            form="main form[method=post]",
        ),
    ],
    # --- The record of attempts
    "attempts:record": [
        Visit("applicant", label="searches over weeks", state=attempts_history),
        Visit("other_applicant", label="nothing recorded"),
        Visit("newcomer", label="no identity"),
    ],
    "attempts:record_for_person_page": [
        Visit(
            "mediator",
            kwargs=lambda s: {"applicant_id": s.people["walk_in"].pk},
            label="the point's walk-in",
        )
    ],
    "attempts:verify_form": [
        Visit("anonymous"),
        Visit("anonymous", errors={"code": "ABC"}),
    ],
    "attempts:verify": [
        Visit("anonymous", kwargs=_issued_code, label="an issued record", state=attempts_history)
    ],
    # --- Fair allocation: the applicant's waiting-list pages and the offer link (h-wpages)
    "allocation:mine": [
        Visit("other_applicant", label="empty list"),
        Visit("applicant", state=waitlist_pages.entry_waiting, label="entry waiting"),
        Visit("applicant", state=waitlist_pages.open_offer, label="open offer"),
        Visit("applicant", state=waitlist_pages.entry_paused, label="paused entry"),
    ],
    "allocation:join": [
        Visit(
            "applicant",
            kwargs=lambda s: {"procedure": waitlist_pages.LISTED},
            state=waitlist_pages.list_procedure,
        ),
        Visit(
            "applicant",
            kwargs=lambda s: {"procedure": waitlist_pages.LISTED},
            state=waitlist_pages.list_procedure,
            errors={},
            form="main form[method=post]",
        ),
    ],
    "allocation:leave": [
        Visit("applicant", kwargs=waitlist_pages.visit_entry, state=waitlist_pages.open_offer)
    ],
    "allocation:change": [
        Visit("applicant", kwargs=waitlist_pages.visit_entry, state=waitlist_pages.open_offer)
    ],
    "allocation:offer": [
        Visit("applicant", kwargs=waitlist_pages.visit_offer, state=waitlist_pages.open_offer),
        Visit(
            "applicant",
            kwargs=waitlist_pages.visit_offer,
            state=waitlist_pages.open_offer,
            query={"decline": "1"},
            label="confirm the decline",
        ),
    ],
    "allocation:offer_link": [
        Visit(
            "anonymous",
            kwargs=waitlist_pages.visit_link,
            state=waitlist_pages.open_offer,
            label="open",
        ),
        Visit(
            "anonymous",
            kwargs=waitlist_pages.visit_link,
            state=waitlist_pages.offer_expired,
            label="expired",
        ),
        Visit(
            "anonymous",
            kwargs=waitlist_pages.visit_link,
            state=waitlist_pages.entry_paused,
            label="paused: resume",
        ),
    ],
    # (end of h-wpages)
    # --- Fair allocation: the staff's waiting-list screens, allocation modes (h-wstaff)
    "mediation:waitlist_join": [
        Visit(
            "mediator", kwargs=lambda s: {"pk": s.people["walk_in"].pk}, state=wstaff.with_a_list
        ),
        Visit(
            "mediator",
            kwargs=lambda s: {"pk": s.people["helped"].pk},
            state=wstaff.with_a_list,
            errors={"procedure": ""},
        ),
    ],
    "agent:waitlist_join": [
        Visit("agent", kwargs=lambda s: {"pk": s.people["walk_in"].pk}, state=wstaff.with_a_list),
        Visit(
            "agent",
            kwargs=lambda s: {"pk": s.people["applicant"].pk},
            state=wstaff.with_a_list,
            errors={"procedure": ""},
        ),
    ],
    "agent:waitlist_permit": [
        Visit("agent", kwargs=wstaff.entry_kwargs(), state=wstaff.with_a_list),
    ],
    "agent:waitlist_change": [
        Visit("agent", kwargs=wstaff.entry_kwargs(), state=wstaff.with_a_list),
    ],
    "mediation:waitlist_change": [
        Visit("mediator", kwargs=wstaff.entry_kwargs(), state=wstaff.with_a_list),
    ],
    "agent:allocation_modes": [
        Visit("supervisor", state=wstaff.with_a_list),
        Visit("agent", label="read-only"),
        Visit("supervisor", errors={"procedure": ""}),
    ],
    # (end of h-wstaff)
    # --- Fair allocation: the waiting-list and offers API (h-wapi)
    # (end of h-wapi)
    # --- Fair allocation: the proof-of-work challenge (h-altcha)
    # (end of h-altcha)
    # --- Fair allocation: the abuse report and suspensions (h-abuse)
    "agent:abuse": [
        Visit("supervisor", label="every section", state=abuse_seeded),
        Visit(
            "supervisor",
            query={"days": "0"},
            status=400,
            label="a wrong period",
            template="office/abuse/report.html",
        ),
    ],
    "agent:abuse_account": [
        Visit("supervisor", kwargs=lambda s: {"user_id": s.users["other_applicant"].pk}),
        Visit(
            "supervisor",
            kwargs=lambda s: {"user_id": s.users["other_applicant"].pk},
            errors={"reason": ""},
        ),
        Visit(
            "supervisor",
            kwargs=lambda s: {"user_id": s.users["other_applicant"].pk},
            state=account_suspended,
            label="suspended",
        ),
        Visit(
            "supervisor",
            kwargs=lambda s: {"user_id": s.users["agent"].pk},
            label="an agent's account",
        ),
    ],
    # (end of h-abuse)
    # --- Fair allocation: transparency (h-transp)
    "allocation:transparency": [
        Visit("anonymous"),
        Visit("anonymous", label="a waiting list and a publication to come", state=_transp_state),
        Visit("applicant", state=_transp_state),
    ],
    # (end of h-transp)
}

_ERROR = {"path": lambda s: reverse("home")}

ERROR_PAGES: dict[str, list[Visit]] = {
    "404": [Visit("anonymous", path=lambda s: "/no-such-page/", status=404, template="404.html")],
    "403": [
        Visit(
            "agent",
            path=lambda s: reverse("staff:list"),
            status=403,
            template="403.html",
            label="not a supervisor",
        )
    ],
    "staff_only": [
        Visit(
            "agent",
            path=lambda s: reverse("booking:procedures"),
            status=403,
            template="booking/staff_only.html",
            label="staff on the applicants' pages",
        )
    ],
    "400": [
        Visit(
            "anonymous",
            status=400,
            template="400.html",
            label="a host not allowed",
            state=_settings(ALLOWED_HOSTS=["guichet.invalid"]),
            **_ERROR,
        )
    ],
    "client_address_unknown": [
        Visit(
            "anonymous",
            status=400,
            template="core/client_address_unknown.html",
            label="a trusted proxy that says nothing",
            state=_settings(TRUSTED_PROXIES=("127.0.0.0/8", "::1/128")),
            **_ERROR,
        )
    ],
    "500": [
        Visit(
            "anonymous",
            status=500,
            template="500.html",
            label="a bug",
            state=_home_raising(RuntimeError("a bug")),
            **_ERROR,
        )
    ],
    "unavailable": [
        Visit(
            "anonymous",
            status=503,
            template="core/unavailable.html",
            label="the database away",
            state=_home_raising(OperationalError("the database is away")),
            **_ERROR,
        )
    ],
    "attempts_verify_unknown": [
        Visit(
            "anonymous",
            path=lambda s: reverse("attempts:verify", kwargs={"code": "not-a-code"}),
            status=404,
            template="attempts/verify_unknown.html",
            label="no such record of attempts",
        )
    ],
    "429": [
        Visit(
            "applicant",
            path=lambda s: reverse("booking:days", kwargs=_BOOKING),
            status=429,
            template="core/429.html",
            label="too many requests",
            state=_settings(RATELIMITS=_ZERO_RATE),
        )
    ],
    "locked_out": [
        Visit(
            "anonymous",
            path=lambda s: reverse("accounts:login"),
            status=429,
            template="accounts/locked_out.html",
            label="a login locked out",
            state=_settings(AXES_FAILURE_LIMIT=1),
            errors={"username": "nobody@example.test", "password": "wrong"},
        )
    ],
}


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
