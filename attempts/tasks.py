"""Celery tasks of the record of attempts: thin wrappers around the services."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from attempts import services


@shared_task(name="attempts.purge", ignore_result=True)
def attempts_purge_task() -> dict:
    return asdict(services.attempts_purge())
