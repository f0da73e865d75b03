"""Someone's waiting-list entries from the console: join for them, change
their places and days, leave, resume, answer their offer. The pages are the staff's shared ones
(``allocation.views.on_behalf``) with the mediator as the actor (channel
``mediation``), at any site; each action needs the person's consent for the
waiting list given to the point (``mediation.receivers``), and accepting an
offer, which books, the booking consent and the daily caps.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from allocation.views.on_behalf import WaitlistPages
from booking.models import Applicant, Channel
from core.ratelimit import ratelimited
from core.views import domain_errors
from mediation.models import ConsentPurpose
from mediation.selectors import consent_valid
from mediation.views.common import console_person, mediator_required
from mediation.views.console import person_context


def _may_act(request: HttpRequest, applicant: Applicant) -> bool:
    return (
        consent_valid(
            applicant=applicant,
            access_point_id=request.user.access_point_id,
            purpose=ConsentPurpose.WAITING_LIST,
            now=timezone.now(),
        )
        is not None
    )


PAGES = WaitlistPages(
    namespace="mediation",
    base="mediation/base_console.html",
    channel=Channel.MEDIATION,
    person=console_person,
    context=person_context,
    may_act=_may_act,
)


@require_http_methods(["GET", "POST"])
@mediator_required
@ratelimited("waitlist_join")  # joining, whatever the route: one budget
def waitlist_join(request: HttpRequest, pk: int) -> HttpResponse:
    return PAGES.join(request, pk)


@require_POST
@mediator_required
@ratelimited("booking")
@domain_errors(fallback=PAGES.person_fallback)
def waitlist_leave(request: HttpRequest, pk: int, entry_id: int) -> HttpResponse:
    return PAGES.leave(request, pk, entry_id)


@require_http_methods(["GET", "POST"])
@mediator_required
@ratelimited("booking")  # as leaving and resuming
@domain_errors(fallback=PAGES.person_fallback)
def waitlist_change(request: HttpRequest, pk: int, entry_id: int) -> HttpResponse:
    return PAGES.change(request, pk, entry_id)


@require_POST
@mediator_required
@ratelimited("booking")
@domain_errors(fallback=PAGES.person_fallback)
def waitlist_resume(request: HttpRequest, pk: int, entry_id: int) -> HttpResponse:
    return PAGES.resume(request, pk, entry_id)


@require_POST
@mediator_required
@ratelimited("booking")
@domain_errors(fallback=PAGES.person_fallback)
def waitlist_offer_accept(request: HttpRequest, pk: int, offer_id: int) -> HttpResponse:
    return PAGES.offer_accept(request, pk, offer_id)


@require_POST
@mediator_required
@ratelimited("booking")
@domain_errors(fallback=PAGES.person_fallback)
def waitlist_offer_decline(request: HttpRequest, pk: int, offer_id: int) -> HttpResponse:
    return PAGES.offer_decline(request, pk, offer_id)
