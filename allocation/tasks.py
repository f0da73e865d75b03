"""Celery tasks of the waiting list: thin wrappers around the services."""

from __future__ import annotations

from celery import shared_task

from allocation import selectors, services


@shared_task(name="allocation.allocate", ignore_result=True, time_limit=300)
def allocate_task(procedure_id: int) -> int:
    return len(services.offers_allocate(procedure_id=procedure_id))


@shared_task(name="allocation.allocate_due", ignore_result=True, time_limit=600)
def allocate_due_task() -> int:
    """Every minute: the classes time changed (a closure's right expired, a
    permit come within the window: ``entries_reclassify_due``), the offers made
    to people who booked the procedure meanwhile
    (``offers_of_the_booked_withdraw``), then the procedures whose list has
    seats to offer (capacity that became visible at its moment, a run whose
    publish was lost)."""
    services.entries_reclassify_due()
    services.offers_of_the_booked_withdraw()
    return sum(
        len(services.offers_allocate(procedure_id=procedure_id))
        for procedure_id in selectors.procedures_with_seats_to_offer()
    )


@shared_task(name="allocation.offers_expire", ignore_result=True, time_limit=300)
def offers_expire_task() -> int:
    return services.offers_expire_due()
