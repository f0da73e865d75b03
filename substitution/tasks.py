"""Celery tasks of the substitution route: thin wrappers around the services."""

from __future__ import annotations

from celery import shared_task

from substitution import services


@shared_task(name="substitution.requests_purge", ignore_result=True)
def requests_purge_task() -> int:
    return services.substitution_requests_purge()
