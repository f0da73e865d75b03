"""What the applicant's pages share: who may use them, the slot they may see."""

from __future__ import annotations

from datetime import datetime
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from booking import rules
from booking.models import (
    Applicant,
    Appointment,
    Procedure,
    Slot,
    reference_parse,
)
from booking.selectors import appointments_for, pools_for

# --- Access ------------------------------------------------------------------------


def applicant_required(view):
    """Logged in, as an applicant. Staff get a page that says their screens are elsewhere."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.role != Role.APPLICANT:
            return render(request, "booking/staff_only.html", status=403)
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def applicant_of(user) -> Applicant | None:
    try:
        return user.applicant
    except ObjectDoesNotExist:
        return None


def with_query(url: str, **params) -> str:
    params = {key: value for key, value in params.items() if value is not None}
    return f"{url}?{urlencode(params)}" if params else url


def bookable_procedure(slug: str) -> Procedure:
    return get_object_or_404(
        Procedure.objects.select_related("horizon"), slug=slug, is_active=True, self_booking=True
    )


def visible_slot(request: HttpRequest, slot_id: int, *, now: datetime, **conditions) -> Slot:
    """The slot with its site and procedure if the user may see it (``booking.rules``),
    else the 404 of a slot that does not exist: capacity not yet visible,
    beyond the horizon or reserved for others is indistinguishable from none."""
    slot = visible_slot_or_none(request, slot_id, now=now, **conditions)
    if slot is None:
        raise Http404
    return slot


def visible_slot_or_none(
    request: HttpRequest, slot_id: int, *, now: datetime, **conditions
) -> Slot | None:
    slot = (
        Slot.objects.select_related("site", "procedure__horizon")
        .filter(pk=slot_id, **conditions)
        .first()
    )
    if slot is None:
        return None
    pools = pools_for(request.user)
    if slot.pool not in pools:  # theirs with a priority right (one more query)
        pools = pools_for(request.user, procedure=slot.procedure, now=now)
    # These pages are the applicants': nobody privileged.
    if rules.slot_hidden(slot, pools=pools, privileged=False, now=now):
        return None
    return slot


def times_url_for_slot(slot: Slot) -> str:
    return with_query(
        reverse("booking:times", args=[slot.procedure.slug, slot.site.slug]),
        date=timezone.localdate(slot.starts_at).isoformat(),
    )


def my_appointment(request: HttpRequest, reference: str) -> Appointment:
    """One of the user's appointments; anyone else's is a 404, like one that does not exist."""
    parsed = reference_parse(reference)
    if parsed is None:
        raise Http404
    return get_object_or_404(appointments_for(request.user), reference=parsed)
