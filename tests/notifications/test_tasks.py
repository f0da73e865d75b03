"""The Celery side: beat entries point at registered tasks; tasks are thin and JSON-safe."""

from __future__ import annotations

import json
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from booking import services as booking
from config.celery import app
from notifications import tasks
from notifications.models import Message, MessageStatus


def test_notification_beat_entries_name_registered_tasks():
    app.loader.import_default_modules()
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    mine = {
        "notifications.messages_sweep",
        "notifications.publications_announce",
        "notifications.reminders_create",
    }
    assert mine <= names
    assert mine <= set(app.tasks)
    assert settings.CELERY_BEAT_SCHEDULE["notifications-sweep"]["schedule"] == 60.0
    assert settings.CELERY_BEAT_SCHEDULE["notifications-reminders"]["schedule"] == 3600.0


def test_celery_speaks_json_only_and_acks_late():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_acks_late is True
    assert app.conf.task_time_limit and app.conf.task_soft_time_limit
    assert tasks.message_send_task.acks_late is True


def test_periodic_tasks_run(db):
    assert tasks.messages_sweep_task.apply().get() == 0
    assert tasks.reminders_create_task.apply().get() == 0
    assert tasks.publications_announce_task.apply().get() == 0


def test_send_tasks_take_ids(applicant, slot):
    appointment = booking.appointment_book(
        actor=applicant.user, applicant=applicant, slot_id=slot.pk
    )
    ids = list(Message.objects.filter(appointment=appointment).values_list("pk", flat=True))
    json.dumps(ids)

    assert tasks.message_send_task.apply(args=(ids[0],)).get() == "sent"
    assert tasks.messages_send_task.apply(args=(ids,)).get() == 2
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}
    assert Message.objects.get(pk=ids[0]).attempts == 1
    assert timezone.now() - Message.objects.get(pk=ids[1]).sent_at < timedelta(minutes=1)
