"""Joining the waiting list, as the list's tests do: through the API, or
through the service and then offered a seat."""

from __future__ import annotations

WAITLIST = "/api/v1/waitlist/"
OFFERS = "/api/v1/offers/"


def join_body(procedure, *sites, **extra) -> dict:
    """The body of ``POST /api/v1/waitlist/`` for ``procedure`` at ``sites``."""
    return {"procedure": procedure.slug, "sites": [site.slug for site in sites], **extra}


def join_by_api(api, procedure, *sites, **extra):
    """``POST /api/v1/waitlist/`` by ``api`` for ``procedure`` at ``sites``."""
    return api.post(WAITLIST, join_body(procedure, *sites, **extra), format="json")


def entry_of(applicant, procedure, site):
    """``applicant`` on ``procedure``'s list for ``site``, by the service."""
    from allocation.services import waitlist_join

    return waitlist_join(
        actor=applicant.user, applicant=applicant, procedure=procedure, site_ids=[site.pk]
    )


def offer_to(applicant, procedure, site, **slot_fields):
    """``applicant`` on the list and offered a seat of a new slot of ``site``."""
    from allocation.models import Offer, OfferStatus
    from allocation.services import offers_allocate
    from tests.allocation.conftest import queue_slot

    entry = entry_of(applicant, procedure, site)
    queue_slot(site, procedure, **slot_fields)
    offers_allocate(procedure_id=procedure.pk)
    return Offer.objects.get(entry=entry, status=OfferStatus.OPEN)
