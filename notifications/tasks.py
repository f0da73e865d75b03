"""Celery tasks: thin wrappers that take ids and call the services.

JSON arguments only; ``acks_late`` (settings) so that a task whose worker dies
is delivered again, which the claim in ``services.message_send`` makes
harmless. Time limits come from the settings. The outbox and the services
publish these by name (``notifications.outbox.dispatch``) and never import
this module: a worker finds it by autodiscovery.
"""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from notifications import services
from notifications.outbox import dispatch


@shared_task(name=dispatch.MESSAGE_SEND, acks_late=True, ignore_result=True)
def message_send_task(message_id: int) -> str:
    return services.message_send(message_id=message_id).status


@shared_task(name=dispatch.MESSAGES_SEND, acks_late=True, ignore_result=True)
def messages_send_task(message_ids: list[int]) -> int:
    """Send a batch (a fan-out hands ids over in batches: one publish per batch)."""
    done = 0
    try:
        for message_id in message_ids:
            services.message_send(message_id=message_id)
            done += 1
    except SoftTimeLimitExceeded:
        # Out of time (a slow provider): hand the rest over again. If even that
        # fails, they stay pending and the sweep has them.
        services.messages_enqueue(message_ids[done + 1 :])
    return done


@shared_task(name="notifications.messages_sweep", ignore_result=True)
def messages_sweep_task() -> int:
    return services.messages_sweep()


@shared_task(name="notifications.reminders_create", ignore_result=True)
def reminders_create_task() -> int:
    return services.reminders_create()


@shared_task(name="notifications.publications_announce", ignore_result=True)
def publications_announce_task() -> int:
    return services.publications_announce_due()


@shared_task(name=dispatch.FREED_SEAT_ALERT, acks_late=True, ignore_result=True)
def freed_seat_alert_task(procedure_id: int, site_id: int, window: int) -> int:
    return services.freed_seat_alert_announce(
        procedure_id=procedure_id, site_id=site_id, window=window
    )


@shared_task(name="notifications.freed_seat_announce", acks_late=True, ignore_result=True)
def freed_seat_announce_task(slot_id: int, appointment_id: int) -> int:
    """The task published before freed-seat alerts were owed in the transaction:
    kept for those still in the queue at deployment."""
    return services.freed_seat_announce(slot_id=slot_id, appointment_id=appointment_id)
