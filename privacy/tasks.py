"""Celery tasks of privacy: thin wrappers around the services."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from privacy import services


# The name it had in accounts: Celery beat's schedule (config.settings) and any
# message already queued name it so.
@shared_task(name="accounts.purge_personal_data", ignore_result=True)
def purge_personal_data_task() -> dict:
    return asdict(services.personal_data_purge())
