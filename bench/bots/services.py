"""The bots' week through the services, on PostgreSQL (``bench.bots``).

The same week as the model (``bench.bots.model``: its people, bots, releases
and answers, drawn the same way), but every step is a call to the app's own
services against the bench database, at a simulated moment
(``django.utils.timezone.now`` follows the week's clock): who gets a seat is
what ``booking`` and ``allocation`` decide, not a copy of their rules.

A run is event by event, not poll by poll (a week of polls every two seconds
by a hundred bots would be 30 million reads): an actor's look matters only
once a seat shows, so each seat shown draws each actor's next look after that
moment (a bot's next poll, a person's next visit: memoryless, so drawing it
then is the same as having drawn it before), and the looks run in time order
until one finds nothing left.

- Before the week: ``FILLERS`` people (the seats cancellations will free)
  hold an appointment each in a slot published for them: booked in ``open``,
  offered by the list and accepted in ``queue``.
- ``open`` (no allocation policy: first come, first served, with the
  protections of issue 19 at their defaults): a publication
  (``booking.services.slots_publish``) shows its seats at once; a cancellation
  (``appointment_cancel``) holds the freed seat until the moment
  ``booking.rules.freed_seat_release_at`` draws, then ``seats_release_due`` (the
  beat's task) shows it. A look reads ``booking.selectors.availability`` with
  the actor's pools and books the first slot (``appointment_book``); a refusal
  is a look that found nothing.
- ``queue`` (the procedure given out by its list): each participant joins
  (``waitlist_join``) at the moment the model draws; after every step the
  beat's work runs at that moment (``offers_expire_due``, ``offers_allocate``),
  and each new offer is answered as the model answers (bots at once, people
  after hours, some declining, some never answering) with ``offer_accept`` /
  ``offer_decline``; an offer nobody answers expires at its ``expires_at``.

Tasks queued by the services (messages, allocation after a commit) go to an
in-memory broker that no worker reads: the beat's work is what the run calls
itself after each step, as a worker would within its minute.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bench.bots.model import HOLD, WEEK, Config, Event, releases

FILLER_DAY = 9  # the fillers' slot, days after the week starts
FIRST_RELEASE_DAY = 10  # each release's slot on a day of its own from here
HORIZON_DAYS = 120


class Clock:
    """The week's moment, which the services read as ``timezone.now()``."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.at = 0.0

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.at)


@contextmanager
def simulated(clock: Clock) -> Iterator[None]:
    """``django.utils.timezone.now`` follows ``clock`` (every service reads it there)."""
    from django.utils import timezone

    real = timezone.now
    timezone.now = clock.now
    try:
        yield
    finally:
        timezone.now = real


@dataclass
class Cast:
    """The accounts a run acts with: participants (people, then bots) and
    fillers, as (user, applicant); the agent who publishes."""

    participants: list
    fillers: list
    agent: object
    people: int


def cast_seed(cfg: Config, fillers: int) -> Cast:
    """The accounts of every run, once per database (after ``django_setup``)."""
    from django.utils import timezone

    from accounts.models import Role, User
    from bench.allocation.seed import accounts_seed
    from booking.models import Applicant

    total = cfg.people + cfg.bots + fillers
    first_user, _by_account = accounts_seed(total, timezone.now())
    by_user = {
        applicant.user_id: applicant
        for applicant in Applicant.objects.select_related("user").filter(user_id__gte=first_user)
    }
    accounts = [(by_user[first_user + n].user, by_user[first_user + n]) for n in range(total)]
    agent = User.objects.create(
        email="bench-bots-agent@example.org",
        role=Role.AGENT,
        email_verified_at=timezone.now(),
        phone_verified_at=timezone.now(),
    )
    split = cfg.people + cfg.bots
    return Cast(
        participants=accounts[:split], fillers=accounts[split:], agent=agent, people=cfg.people
    )


class ServicesWeek:
    """One week of one mode, on a procedure and a site of its own."""

    def __init__(self, cfg: Config, rng: random.Random, cast: Cast, *, mode: str, run: int) -> None:
        from django.utils import timezone

        from booking.models import (
            AllocationMode,
            AllocationPolicy,
            Procedure,
            RequiredDocument,
            Site,
        )

        self.cfg, self.rng, self.cast, self.mode = cfg, rng, cast, mode
        self.queue = mode.startswith("queue")
        self.events: list[Event] = []
        self.counter = 0
        self.releases = 0
        name = f"bench-bots-{mode}-{run}"
        self.site = Site.objects.create(
            slug=name, name=name, address="1 rue", postcode="93000", city="Bobigny"
        )
        cast.agent.sites.add(self.site)
        self.procedure = Procedure.objects.create(
            slug=name,
            name=name,
            required_document=RequiredDocument.EITHER,
            cutoff_hours=0,
            horizon_days=HORIZON_DAYS,
        )
        if self.queue:
            AllocationPolicy.objects.create(procedure=self.procedure, mode=AllocationMode.QUEUE)
        start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        self.clock = Clock(start + timedelta(days=1))
        self.day0 = self.clock.start.date()
        self.by_applicant = {
            applicant.pk: n for n, (_user, applicant) in enumerate(cast.participants)
        }
        self.served: set[int] = set()
        self.seen_offers = 0
        self.fillers_offers = 0  # the fillers' offers, before the week (not counted)
        self.refusals: dict[str, int] = {}
        self.fillers_left = list(cast.fillers)
        self.problems: list[str] = []  # the waiting list's invariants broken
        self.delayed = 0  # open: freed seats held out of sight before shown

    # --- the events ---------------------------------------------------------------

    def push(self, at: float, kind: str, data: tuple = ()) -> None:
        self.counter += 1
        heapq.heappush(self.events, Event(at, self.counter, kind, data))

    def run(self) -> dict:
        with simulated(self.clock):
            self.clock.at = -2 * 86400.0
            self._fillers_placed()
            bots_first = self.mode == "queue-bots-first"
            if self.queue:
                for who in range(len(self.cast.participants)):
                    bot = who >= self.cast.people
                    at = (
                        self.rng.uniform(0, 60) if bot and bots_first else self.rng.uniform(0, WEEK)
                    )
                    self.push(at, "join", (who,))
            for moment, seats, how in releases(self.cfg, self.rng):
                self.push(moment, how, (seats,))
            while self.events and self.events[0].at <= WEEK:
                event = heapq.heappop(self.events)
                self.clock.at = max(self.clock.at, event.at)
                getattr(self, f"on_{event.kind}")(*event.data)
                if self.queue:
                    self._beat()
            return self._result()

    # --- before the week ----------------------------------------------------------

    def _publish(self, day: int, seats: int) -> None:
        from booking.services import OpeningRange, slots_publish

        when = self.day0 + timedelta(days=day)
        slots_publish(
            actor=self.cast.agent,
            site=self.site,
            procedure=self.procedure,
            date_from=when,
            date_to=when,
            weekdays=range(7),
            opening_ranges=[OpeningRange(time(9), time(9, 20))],
            counters=seats,
            slot_minutes=20,
            visible_at=self.clock.now(),
        )

    def _fillers_placed(self) -> None:
        """Each filler holds an appointment that a cancellation of the week frees."""
        from allocation.services import offer_accept, offers_allocate, waitlist_join
        from booking.models import Appointment
        from booking.selectors import availability
        from booking.services import appointment_book

        fillers = self.cast.fillers
        self._publish(FILLER_DAY, len(fillers))
        if self.queue:
            for user, applicant in fillers:
                waitlist_join(
                    actor=user,
                    applicant=applicant,
                    procedure=self.procedure,
                    site_ids=[self.site.pk],
                )
            offers = offers_allocate(procedure_id=self.procedure.pk, now=self.clock.now())
            by_applicant = {applicant.pk: user for user, applicant in fillers}
            for offer in offers:
                offer_accept(actor=by_applicant[offer.applicant_id], offer=offer.pk)
            self.seen_offers = self.fillers_offers = max((o.pk for o in offers), default=0)
        else:
            (slot,) = availability(procedure=self.procedure, now=self.clock.now())
            for user, applicant in fillers:
                appointment_book(actor=user, applicant=applicant, slot_id=slot.pk)
        placed = Appointment.objects.filter(procedure=self.procedure).count()
        if placed != len(fillers):
            raise SystemExit(f"{placed} fillers placed, not {len(fillers)}")

    # --- releases -----------------------------------------------------------------

    def on_publication(self, seats: int) -> None:
        self.releases += 1
        self._publish(FIRST_RELEASE_DAY + self.releases, seats)
        if not self.queue:
            self._shown(seats)

    def on_cancellation(self, seats: int) -> None:
        from booking.models import ACTIVE_STATUSES, Appointment, SeatRelease
        from booking.services import appointment_cancel

        for _ in range(seats):
            user, applicant = self.fillers_left.pop()
            appointment = Appointment.objects.get(
                applicant=applicant, procedure=self.procedure, status__in=ACTIVE_STATUSES
            )
            appointment_cancel(actor=user, appointment=appointment)
        if self.queue:
            return
        # ``open``: the freed seat held out of sight until a drawn moment, or shown now.
        release = (
            SeatRelease.objects.filter(slot__procedure=self.procedure, released_at__isnull=True)
            .order_by("-pk")
            .first()
        )
        if release is None:
            self._shown(seats)
        else:
            self.delayed += 1
            at = (release.release_at - self.clock.start).total_seconds()
            self.push(at, "release", (seats,))

    def on_release(self, seats: int) -> None:
        from booking.services import seats_release_due

        if seats_release_due(now=self.clock.now()):
            self._shown(seats)

    # --- open: looks --------------------------------------------------------------

    def _shown(self, seats: int) -> None:
        """Seats just shown: each actor without an appointment looks next at a
        moment drawn from now (bots poll, people visit a few times a day);
        the looks run in order until one finds nothing."""
        now, rng = self.clock.at, self.rng
        rate = self.cfg.checks_per_day / 86400.0
        looks = []
        for who in range(len(self.cast.participants)):
            if who in self.served:
                continue
            if who >= self.cast.people:
                looks.append((now + rng.uniform(0, self.cfg.bot_poll), who))
            else:
                looks.append((now + rng.expovariate(rate), who))
        looks.sort(reverse=True)  # the next look last
        if looks:
            self.push(looks[-1][0], "look", (looks,))

    def on_look(self, looks: list) -> None:
        from booking.selectors import availability, pools_for
        from booking.services import appointment_book
        from core.errors import DomainError

        _at, who = looks.pop()
        if who not in self.served:
            user, applicant = self.cast.participants[who]
            now = self.clock.now()
            pools = pools_for(user, procedure=self.procedure, now=now)
            slot = availability(procedure=self.procedure, pools=pools, now=now).first()
            if slot is None:
                return  # nothing left: the later looks of these seats find nothing either
            try:
                appointment_book(actor=user, applicant=applicant, slot_id=slot.pk)
            except DomainError as refusal:
                self.refusals[refusal.code] = self.refusals.get(refusal.code, 0) + 1
            else:
                self.served.add(who)
        if looks:
            self.push(looks[-1][0], "look", (looks,))

    # --- queue: joins, offers, answers --------------------------------------------

    def on_join(self, who: int) -> None:
        from allocation.services import waitlist_join

        user, applicant = self.cast.participants[who]
        waitlist_join(
            actor=user, applicant=applicant, procedure=self.procedure, site_ids=[self.site.pk]
        )

    def _beat(self) -> None:
        """The beat's work at this moment: offers past their hold expire, free
        seats are offered; each new offer gets its answer."""
        from allocation.models import Offer
        from allocation.services import offers_allocate, offers_expire_due
        from tests.helpers.waitlist_invariants import order_problems

        now = self.clock.now()
        offers_expire_due(now=now)
        offers = offers_allocate(procedure_id=self.procedure.pk, now=now)
        # The order rule, for the offers of this run (read before anything moves).
        self.problems += order_problems(offers)
        new = list(
            Offer.objects.filter(procedure=self.procedure, pk__gt=self.seen_offers)
            .order_by("pk")
            .values_list("pk", "applicant_id", "expires_at")
        )
        for pk, applicant_id, expires_at in new:
            self.seen_offers = max(self.seen_offers, pk)
            self._answer(pk, self.by_applicant[applicant_id], expires_at)

    def _answer(self, offer_id: int, who: int, expires_at: datetime) -> None:
        cfg, rng, now = self.cfg, self.rng, self.clock.at
        expiry = (expires_at - self.clock.start).total_seconds()
        if who >= self.cast.people:  # a bot answers at once, always yes
            self.push(now + rng.uniform(1, 5), "accept", (offer_id, who))
            return
        draw = rng.random()
        delay = rng.lognormvariate(math.log(cfg.answer_median_hours * 3600), 1.0)
        if draw < cfg.accept and delay < HOLD:
            self.push(now + delay, "accept", (offer_id, who))
        elif draw < cfg.accept + cfg.decline and delay < HOLD:
            self.push(now + delay, "decline", (offer_id, who))
        else:
            self.push(expiry + 1, "expiry", ())

    def on_accept(self, offer_id: int, who: int) -> None:
        from allocation.services import offer_accept
        from core.errors import DomainError

        try:
            offer_accept(actor=self.cast.participants[who][0], offer=offer_id)
        except DomainError as refusal:  # withdrawn meanwhile
            self.refusals[refusal.code] = self.refusals.get(refusal.code, 0) + 1

    def on_decline(self, offer_id: int, who: int) -> None:
        from allocation.services import offer_decline
        from core.errors import DomainError

        try:
            offer_decline(actor=self.cast.participants[who][0], offer=offer_id)
        except DomainError as refusal:
            self.refusals[refusal.code] = self.refusals.get(refusal.code, 0) + 1

    def on_expiry(self) -> None:
        """Nothing of its own: the beat that follows every step expires the offer."""

    # --- the outcome --------------------------------------------------------------

    def _result(self) -> dict:
        from django.db.models import Count

        from allocation.models import EntryStatus, Offer, WaitlistEntry
        from booking.models import ACTIVE_STATUSES, Appointment
        from tests.helpers.waitlist_invariants import all_problems

        self.problems += all_problems()
        offers = dict(
            Offer.objects.filter(procedure=self.procedure, pk__gt=self.fillers_offers)
            .values_list("status")
            .annotate(n=Count("pk"))
        )
        holders = Appointment.objects.filter(
            procedure=self.procedure, status__in=ACTIVE_STATUSES
        ).values_list("applicant_id", flat=True)
        got = {"bots": 0, "people": 0}
        for applicant_id in holders:
            who = self.by_applicant.get(applicant_id)
            if who is not None:
                got["bots" if who >= self.cast.people else "people"] += 1
        return {
            **got,
            "unassigned": self.cfg.seats - got["bots"] - got["people"],
            "refusals": dict(sorted(self.refusals.items())),
            "offers": dict(sorted(offers.items())),
            "paused": WaitlistEntry.objects.filter(
                procedure=self.procedure, status=EntryStatus.PAUSED
            ).count(),
            "freed_seats_delayed": self.delayed,
            "problems": self.problems[:20],
        }
