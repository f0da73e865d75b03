"""Agents and supervisors with someone's waiting-list entries: join for them at
their sites (recording, having seen the permit, when it expires), change
their places and days, leave, resume, record the permit's expiry on an entry, answer their offer.

The pages are the staff's shared ones (``allocation.views.on_behalf``) with the
agent as the actor (channel ``agent``). An agent acts on an entry only when
every site it lists is theirs (``can_act_for``, asked again by the services);
any other answers 404, like a missing one. Supervisors: every site.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods, require_POST

from allocation.views.on_behalf import WaitlistPages
from backoffice.views.people import office_person, office_required
from booking.models import Applicant, Channel, Site
from booking.permissions import managed_sites
from core.ratelimit import ratelimited
from core.views import domain_errors


def _my_sites(request: HttpRequest):
    return Site.objects.filter(managed_sites(request.user), is_active=True)


def _context(request: HttpRequest, applicant: Applicant) -> dict:
    return {"person": applicant, "office_page": "search"}


PAGES = WaitlistPages(
    namespace="agent",
    base="office/base.html",
    channel=Channel.AGENT,
    person=office_person,
    context=_context,
    sites=_my_sites,
    with_permit=True,
)


@require_http_methods(["GET", "POST"])
@office_required
@ratelimited("waitlist_join")  # joining, whatever the route: one budget
def waitlist_join(request: HttpRequest, pk: int) -> HttpResponse:
    return PAGES.join(request, pk)


@require_POST
@office_required
@ratelimited("agent_booking")
@domain_errors(fallback=PAGES.person_fallback)
def waitlist_leave(request: HttpRequest, pk: int, entry_id: int) -> HttpResponse:
    return PAGES.leave(request, pk, entry_id)


@require_http_methods(["GET", "POST"])
@office_required
@ratelimited("agent_booking")
@domain_errors(fallback=PAGES.person_fallback)
def waitlist_change(request: HttpRequest, pk: int, entry_id: int) -> HttpResponse:
    return PAGES.change(request, pk, entry_id)


@require_POST
@office_required
@ratelimited("agent_booking")
@domain_errors(fallback=PAGES.person_fallback)
def waitlist_resume(request: HttpRequest, pk: int, entry_id: int) -> HttpResponse:
    return PAGES.resume(request, pk, entry_id)


@require_http_methods(["GET", "POST"])
@office_required
@ratelimited("agent_booking")
@domain_errors(fallback=PAGES.person_fallback)
def waitlist_permit(request: HttpRequest, pk: int, entry_id: int) -> HttpResponse:
    return PAGES.permit(request, pk, entry_id)


@require_POST
@office_required
@ratelimited("agent_booking")
@domain_errors(fallback=PAGES.person_fallback)
def waitlist_offer_accept(request: HttpRequest, pk: int, offer_id: int) -> HttpResponse:
    return PAGES.offer_accept(request, pk, offer_id)


@require_POST
@office_required
@ratelimited("agent_booking")
@domain_errors(fallback=PAGES.person_fallback)
def waitlist_offer_decline(request: HttpRequest, pk: int, offer_id: int) -> HttpResponse:
    return PAGES.offer_decline(request, pk, offer_id)
