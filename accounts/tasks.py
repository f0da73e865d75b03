"""Celery tasks of accounts: thin wrappers around the services."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from accounts import services


@shared_task(name="accounts.purge_personal_data", ignore_result=True)
def purge_personal_data_task() -> dict:
    return asdict(services.personal_data_purge())
