"""The soak's beat: what ``celery beat`` does for the waiting list, faster.

In production the beat sends ``allocation.offers_expire`` and
``allocation.allocate_due`` every minute, and an offer holds its seat for
``OFFER_HOLD_HOURS`` (at least one hour). A soak lasts minutes, so this thread,
in the soak's own process, compresses the hold: every ``interval`` seconds it
moves the moment of the open offers made more than ``hold`` seconds ago to now
(as if their hours had passed: one ``UPDATE`` of ``expires_at``, the only row
the soak writes behind the services' back), then sends both tasks to the
soak's Celery worker through the broker, as the beat would. The expiries, the
pauses after them and the offers of the seats given back are the services'
own, in the worker.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta


class Beat:
    def __init__(self, *, hold: float, interval: float) -> None:
        self.hold = hold
        self.interval = interval
        self.ticks = 0
        self.lapsed = 0  # open offers whose hold the beat ended
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Beat:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        from django.db import connection
        from django.utils import timezone

        from allocation.models import Offer, OfferStatus
        from core.tasks import task_publish

        try:
            while not self._stop.wait(self.interval):
                now = timezone.now()
                self.lapsed += Offer.objects.filter(
                    status=OfferStatus.OPEN,
                    created_at__lte=now - timedelta(seconds=self.hold),
                    expires_at__gt=now,
                ).update(expires_at=now)
                try:
                    task_publish("allocation.offers_expire", args=())
                    task_publish("allocation.allocate_due", args=())
                except Exception as exc:  # the broker: reported, the soak goes on
                    self.errors.append(repr(exc))
                self.ticks += 1
        finally:
            connection.close()

    def settle(self, seconds: float = 2.0) -> None:
        """After ``stop``: let the tasks sent last finish (their offers owe messages
        that the drain must count)."""
        time.sleep(seconds)
