"""Celery tasks of booking: thin wrappers around the services."""

from __future__ import annotations

from celery import shared_task

from booking import services


@shared_task(name="booking.close_past_appointments", ignore_result=True)
def close_past_appointments_task() -> dict[str, int]:
    return services.appointments_close_past()
