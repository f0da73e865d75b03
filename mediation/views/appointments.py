"""Booking for a person from the console: procedure → place (any) → day and
time (the mediation pool's times first, then the public ones) → confirm; and
cancelling or moving one of their appointments.

The pages are the staff's shared ones (``booking.views.on_behalf``) with the
mediator as the actor (channel ``mediation``), at any site, with the online
window of the rulebook: the same rules as online, plus mediation's own,
answered inside the booking's transaction (a valid consent, the daily caps).
The person's consents are shown on every page (``person_context``), so that
the mediator sees what they may do before they try; a search that found
nothing counts in the person's record of attempts.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from booking.models import Applicant, Channel, Pool, Procedure, Slot
from booking.signals import availability_found_nothing
from booking.views.on_behalf import OnBehalfPages
from core.ratelimit import ratelimited
from core.views import domain_errors
from mediation.views.common import console_person, mediator_required, person_appointment
from mediation.views.console import person_context


def _by_pool(slots: list[Slot]) -> list[dict]:
    """The day's free times, the mediation pool's first: the seats kept for
    access points go to the people who need them before the public ones."""
    groups = [
        {"pool": Pool.MEDIATION, "slots": [s for s in slots if s.pool == Pool.MEDIATION]},
        {"pool": Pool.PUBLIC, "slots": [s for s in slots if s.pool == Pool.PUBLIC]},
        {
            "pool": "other",
            "slots": [s for s in slots if s.pool not in (Pool.MEDIATION, Pool.PUBLIC)],
        },
    ]
    return [group for group in groups if group["slots"]]


def _found_nothing(
    request: HttpRequest, applicant: Applicant, procedure: Procedure, sites: tuple[str, ...]
) -> None:
    """A search for the person found nothing: their record of attempts counts it
    (``booking.signals.availability_found_nothing``)."""
    availability_found_nothing.send(
        sender=Procedure,
        user=request.user,
        applicant=applicant,
        procedure=procedure.slug,
        sites=sites,
        now=timezone.now(),
    )


PAGES = OnBehalfPages(
    namespace="mediation",
    templates="mediation/console",
    channel=Channel.MEDIATION,
    person=console_person,
    appointment=person_appointment,
    context=person_context,
    by_pool=_by_pool,
    found_nothing=_found_nothing,
)


@require_GET
@mediator_required
def book_procedures(request: HttpRequest, pk: int) -> HttpResponse:
    return PAGES.book_procedures(request, pk)


@require_GET
@mediator_required
def book_sites(request: HttpRequest, pk: int, procedure: str) -> HttpResponse:
    return PAGES.book_sites(request, pk, procedure)


@require_GET
@mediator_required
@ratelimited("availability", methods=("GET",))
def book_days(request: HttpRequest, pk: int, procedure: str, site: str) -> HttpResponse:
    return PAGES.book_days(request, pk, procedure, site)


@require_http_methods(["GET", "POST"])
@mediator_required
@ratelimited("booking")
@domain_errors(fallback=PAGES.confirm_fallback)
def book_confirm(request: HttpRequest, pk: int, slot_id: int) -> HttpResponse:
    return PAGES.book_confirm(request, pk, slot_id)


@require_http_methods(["GET", "POST"])
@mediator_required
@ratelimited("booking")
@domain_errors(fallback=PAGES.person_fallback)
def appointment_cancel(request: HttpRequest, pk: int, reference: str) -> HttpResponse:
    return PAGES.appointment_cancel(request, pk, reference)


@require_GET
@mediator_required
@ratelimited("availability", methods=("GET",))
def appointment_reschedule(request: HttpRequest, pk: int, reference: str) -> HttpResponse:
    return PAGES.appointment_reschedule(request, pk, reference)


@require_http_methods(["GET", "POST"])
@mediator_required
@ratelimited("booking")
@domain_errors(fallback=PAGES.reschedule_fallback)
def appointment_reschedule_confirm(
    request: HttpRequest, pk: int, reference: str, slot_id: int
) -> HttpResponse:
    return PAGES.appointment_reschedule_confirm(request, pk, reference, slot_id)
