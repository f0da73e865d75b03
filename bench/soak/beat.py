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

import time
from datetime import timedelta

from bench.soak.periodic import Periodic


class Beat(Periodic):
    def __init__(self, *, hold: float, interval: float) -> None:
        super().__init__(interval)
        self.hold = hold
        self.ticks = 0
        self.lapsed = 0  # open offers whose hold the beat ended
        self.errors: list[str] = []

    def tick(self) -> None:
        from django.utils import timezone

        from allocation.models import Offer, OfferStatus
        from core.tasks import task_publish

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

    def settle(self, seconds: float = 2.0) -> None:
        """After ``stop``: let the tasks sent last finish (their offers owe messages
        that the drain must count)."""
        time.sleep(seconds)
