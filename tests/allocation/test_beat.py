"""What the beat sends for the waiting list, every minute: offers past their
moment end (``allocation.offers_expire``: the seat goes to the next person, an
entry that let two expire is paused), and the seats of the lists that became
free or visible are offered (``allocation.allocate_due``). What each task does
is tested with the services (``test_offers.py``,
``test_capacity_becomes_available.py``); here, that the beat sends them."""

from __future__ import annotations

from django.conf import settings

from config.celery import app


def test_the_beat_sends_the_lists_two_tasks_every_minute():
    app.loader.import_default_modules()
    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }

    for task in ("allocation.offers_expire", "allocation.allocate_due"):
        assert schedule.get(task) == 60.0, task
        assert task in app.tasks, task
