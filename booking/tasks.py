"""Celery tasks of booking: thin wrappers around the services."""

from __future__ import annotations

from celery import shared_task

from booking import horizon, services


@shared_task(name="booking.close_past_appointments", ignore_result=True)
def close_past_appointments_task() -> dict[str, int]:
    return services.appointments_close_past()


@shared_task(name="booking.horizons_advance", ignore_result=True, time_limit=60)
def horizons_advance_task() -> list[str]:
    return horizon.horizons_advance()


@shared_task(name="booking.seats_release_due", ignore_result=True, time_limit=60)
def seats_release_due_task() -> int:
    return services.seats_release_due()
