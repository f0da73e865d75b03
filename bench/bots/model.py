"""The bots' week as an in-memory model of the services' rules (``bench.bots``
runs it beside the services' own week, ``bench.bots.services``): the same
people, bots, releases and answers, in simulated time, thirty runs in a few
seconds, where the services' week takes about a minute a run.

- ``open``: each seat to whoever looks first once it shows (a cancelled one
  after a random delay of up to ``FREED_SEAT_DELAY_MAX_MINUTES``).
- ``queue``: everybody joins the list at a random moment; each seat goes, as
  an offer held ``OFFER_HOLD_HOURS``, to the first waiting entry in the order
  of joining; a declined or expired seat to the next; two expiries pause an
  entry (``WAITLIST_PAUSE_AFTER_EXPIRIES``).
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass, field

WEEK = 7 * 86400.0
HOLD = 24 * 3600.0  # OFFER_HOLD_HOURS
RELEASE_DELAY_MAX = 30 * 60.0  # FREED_SEAT_DELAY_MAX_MINUTES
PAUSE_AFTER_EXPIRIES = 2  # WAITLIST_PAUSE_AFTER_EXPIRIES


@dataclass
class Config:
    people: int = 1000
    bots: int = 100
    seats: int = 200
    publications: int = 5  # the rest of the seats are freed one by one by cancellations
    published_share: float = 0.75
    bot_poll: float = 2.0
    checks_per_day: float = 3.0
    # People's answers to an offer: accept / decline / no answer (expires).
    accept: float = 0.85
    decline: float = 0.05
    answer_median_hours: float = 3.0


def releases(cfg: Config, rng: random.Random) -> list[tuple[float, int, str]]:
    """(moment, seats, how) over the week: publications of several seats at once
    at random moments, and cancellations of one seat each."""
    published = round(cfg.seats * cfg.published_share)
    sizes = [published // cfg.publications] * cfg.publications
    for n in range(published - sum(sizes)):
        sizes[n] += 1
    events = [(rng.uniform(0, WEEK), size, "publication") for size in sizes]
    events += [(rng.uniform(0, WEEK), 1, "cancellation") for _ in range(cfg.seats - published)]
    return sorted(events)


def simulate_open(cfg: Config, rng: random.Random) -> dict:
    """First come, first served: each seat to whoever looks first once it shows."""
    served: set[int] = set()  # participants 0..people-1 are people, then bots
    bots_got = people_got = 0
    for moment, seats, how in releases(cfg, rng):
        visible = moment + (rng.uniform(1, RELEASE_DELAY_MAX) if how == "cancellation" else 0.0)
        rate = cfg.checks_per_day / 86400.0
        looks = []
        for who in range(cfg.people + cfg.bots):
            if who in served:
                continue
            if who >= cfg.people:  # a bot: its next poll
                looks.append((visible + rng.uniform(0, cfg.bot_poll), who))
            else:  # a person: their next look, a Poisson process of a few a day
                looks.append((visible + rng.expovariate(rate), who))
        for _at, who in heapq.nsmallest(seats, looks):
            served.add(who)
            if who >= cfg.people:
                bots_got += 1
            else:
                people_got += 1
    return {"bots": bots_got, "people": people_got, "unassigned": 0}


@dataclass(order=True)
class Event:
    """A step of a simulated week, at ``at`` seconds (ties in the order pushed)."""

    at: float
    order: int
    kind: str = field(compare=False)
    data: tuple = field(compare=False, default=())


class QueueWorld:
    """The waiting list and its offers, in simulated time."""

    def __init__(self, cfg: Config, rng: random.Random, *, bots_first: bool) -> None:
        self.cfg, self.rng = cfg, rng
        self.events: list[Event] = []
        self.counter = 0
        self.free = 0  # seats of the list's pool not held nor booked
        self.waiting: list[tuple[float, int]] = []  # (queued_at, who): the list's order
        self.has_offer: set[int] = set()
        self.passed: dict[int, int] = {}  # expiries
        self.paused: set[int] = set()
        self.served: set[int] = set()
        self.got = {"bots": 0, "people": 0}
        for who in range(cfg.people + cfg.bots):
            bot = who >= cfg.people
            joins = rng.uniform(0, 60) if bot and bots_first else rng.uniform(0, WEEK)
            self.push(joins, "join", (who,))
        for moment, seats, _how in releases(cfg, rng):
            # A seat freed in a queue procedure goes to the list at once (no delay).
            self.push(moment, "seats", (seats,))

    def push(self, at: float, kind: str, data: tuple) -> None:
        self.counter += 1
        heapq.heappush(self.events, Event(at, self.counter, kind, data))

    def run(self) -> dict:
        while self.events and self.events[0].at <= WEEK:
            event = heapq.heappop(self.events)
            getattr(self, f"on_{event.kind}")(event.at, *event.data)
        held = len(self.has_offer)
        return {**self.got, "unassigned": self.free + held}

    def on_join(self, now: float, who: int) -> None:
        heapq.heappush(self.waiting, (now, who))
        self.allocate(now)

    def on_seats(self, now: float, seats: int) -> None:
        self.free += seats
        self.allocate(now)

    def allocate(self, now: float) -> None:
        """``offers_allocate``: each free seat to the first waiting entry in order."""
        skipped = []
        while self.free and self.waiting:
            queued_at, who = heapq.heappop(self.waiting)
            if who in self.served or who in self.paused:
                continue
            if who in self.has_offer:
                skipped.append((queued_at, who))
                continue
            self.free -= 1
            self.has_offer.add(who)
            skipped.append((queued_at, who))  # still on the list until they accept
            self.answer(now, who, queued_at)
        for item in skipped:
            heapq.heappush(self.waiting, item)

    def answer(self, now: float, who: int, queued_at: float) -> None:
        cfg, rng = self.cfg, self.rng
        if who >= cfg.people:  # a bot answers at once, always yes
            self.push(now + rng.uniform(1, 5), "accept", (who,))
            return
        draw = rng.random()
        delay = rng.lognormvariate(math.log(cfg.answer_median_hours * 3600), 1.0)
        if draw < cfg.accept and delay < HOLD:
            self.push(now + delay, "accept", (who,))
        elif draw < cfg.accept + cfg.decline and delay < HOLD:
            self.push(now + delay, "decline", (who, queued_at))
        else:
            self.push(now + HOLD, "expire", (who,))

    def on_accept(self, now: float, who: int) -> None:
        self.has_offer.discard(who)
        self.served.add(who)
        self.got["bots" if who >= self.cfg.people else "people"] += 1

    def on_decline(self, now: float, who: int, queued_at: float) -> None:
        # The seat goes to the next; the person keeps their place once (a model
        # simplification: the seat they passed on is not offered to them again
        # because the next in order takes it first).
        self.has_offer.discard(who)
        self.free += 1
        self.allocate(now)

    def on_expire(self, now: float, who: int) -> None:
        self.has_offer.discard(who)
        self.passed[who] = self.passed.get(who, 0) + 1
        if self.passed[who] >= PAUSE_AFTER_EXPIRIES:
            self.paused.add(who)
        self.free += 1
        self.allocate(now)


def share(result: dict) -> float:
    obtained = result["bots"] + result["people"]
    return result["bots"] / obtained if obtained else 0.0
