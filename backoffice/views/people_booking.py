"""Agents booking for someone (a walk-in at the counter, a priority case):
procedure → one of their sites → week and day → confirm; and cancelling or
moving one of the person's appointments at their sites.

The pages are the staff's shared ones (``booking.views.on_behalf``) with the
agent as the actor (channel ``agent``): the same rules as online (one active
appointment per person and procedure, the identity copied onto the
appointment), from any pool of their sites (public, mediation, priority:
``booking.permissions.allowed_pools``), with the counter's window of the
rulebook (``booking.rules.books_at_counter``: any published time that has not
started, no horizon). The sites offered are the agent's (``managed_sites``;
supervisors: all); a site, slot or appointment elsewhere answers 404, and the
services ask again (``can_act_for``).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET, require_http_methods

from backoffice.views.people import office_person, office_required, person_appointment
from booking.models import Applicant, Channel, Pool, Site, Slot
from booking.permissions import managed_sites
from booking.views.on_behalf import OnBehalfPages
from core.ratelimit import ratelimited
from core.views import domain_errors

# The pools in the order a counter offers them: the seats kept for priority
# cases and for access points first, then the ones open to everyone.
POOL_ORDER = (Pool.PRIORITY, Pool.MEDIATION, Pool.PUBLIC)


def _by_pool(slots: list[Slot]) -> list[dict]:
    """The day's free times grouped by pool, priority first."""
    groups = [
        {"pool": pool, "label": pool.label, "slots": [s for s in slots if s.pool == pool]}
        for pool in POOL_ORDER
    ]
    return [group for group in groups if group["slots"]]


def _my_sites(request: HttpRequest):
    return Site.objects.filter(managed_sites(request.user), is_active=True)


def _context(request: HttpRequest, applicant: Applicant) -> dict:
    return {"person": applicant, "office_page": "search"}


PAGES = OnBehalfPages(
    namespace="agent",
    templates="office/people",
    channel=Channel.AGENT,
    person=office_person,
    appointment=person_appointment,
    context=_context,
    by_pool=_by_pool,
    sites=_my_sites,
)


@require_GET
@office_required
def book_procedures(request: HttpRequest, pk: int) -> HttpResponse:
    return PAGES.book_procedures(request, pk)


@require_GET
@office_required
def book_sites(request: HttpRequest, pk: int, procedure: str) -> HttpResponse:
    return PAGES.book_sites(request, pk, procedure)


@require_GET
@office_required
@ratelimited("availability", methods=("GET",))
def book_days(request: HttpRequest, pk: int, procedure: str, site: str) -> HttpResponse:
    return PAGES.book_days(request, pk, procedure, site)


@require_http_methods(["GET", "POST"])
@office_required
@ratelimited("agent_booking")
@domain_errors(fallback=PAGES.confirm_fallback)
def book_confirm(request: HttpRequest, pk: int, slot_id: int) -> HttpResponse:
    return PAGES.book_confirm(request, pk, slot_id)


@require_http_methods(["GET", "POST"])
@office_required
@ratelimited("agent_booking")
@domain_errors(fallback=PAGES.person_fallback)
def appointment_cancel(request: HttpRequest, pk: int, reference: str) -> HttpResponse:
    return PAGES.appointment_cancel(request, pk, reference)


@require_GET
@office_required
@ratelimited("availability", methods=("GET",))
def appointment_reschedule(request: HttpRequest, pk: int, reference: str) -> HttpResponse:
    return PAGES.appointment_reschedule(request, pk, reference)


@require_http_methods(["GET", "POST"])
@office_required
@ratelimited("agent_booking")
@domain_errors(fallback=PAGES.reschedule_fallback)
def appointment_reschedule_confirm(
    request: HttpRequest, pk: int, reference: str, slot_id: int
) -> HttpResponse:
    return PAGES.appointment_reschedule_confirm(request, pk, reference, slot_id)
