"""Bots against people over a simulated week: ``python -m bench.bots`` (``run.sh``).

1,000 people and 100 bots (each bot one identity that wants one appointment,
as a broker's fake identity does) over a simulated week (simulated time, not
the wall clock) in which 200 seats are released: publications of several
seats at once at random moments, and single seats freed by cancellations at
random moments. Who obtains them, in each way of giving out a procedure:

- ``open`` (first come, first served, with the protections of issue 19): a
  published seat is bookable at once; a cancelled one after a random delay of
  up to ``FREED_SEAT_DELAY_MAX_MINUTES`` (30). Bots poll continuously (every
  ``--bot-poll`` seconds, 2); people check a few times a day at random
  (``--checks-per-day``, 3). A seat goes to whoever without an appointment
  looks first once it is visible.
- ``queue``: everybody (people and bots) joins the waiting list at a random
  moment of the week; a seat goes, as an offer held 24 hours
  (``OFFER_HOLD_HOURS``), to the first waiting entry in the list's order
  (``allocation.rules.LIST_ORDER``: the order of joining here, nobody in a
  priority class). People answer with a human delay (hours; some decline, some
  never answer and the offer expires), bots at once; a declined or expired
  seat goes to the next; two expiries pause an entry
  (``WAITLIST_PAUSE_AFTER_EXPIRIES``).
- ``queue-bots-first`` (a stress, not the issue's scenario): the same, but the
  bots join in the first minute of the week while people join at random
  moments: what joining early is worth.

**A faithful model, not the services**: the rules above are those of
``booking.rules`` and ``allocation.rules`` / ``allocation.services.offers``
(the order, the hold, decline, expiry, pause), simulated in memory; a run of
the real services over a simulated week (thousands of polls a minute for a
week) would take hours on the 2-core machine. The services' own guarantees
(no seat to anyone else while it is held, the order rule, no double offer) are
proved by ``tests/allocation/``.

Prints, per mode, the bots' share of the seats obtained (mean and range over
``--runs`` runs) next to their share of the population, and the JSON of it.
Exits 1 if in ``queue`` mode the bots got more than their share (mean over the
runs, with a margin of two standard errors).
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import common

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
class _Event:
    at: float
    order: int
    kind: str = field(compare=False)
    data: tuple = field(compare=False, default=())


class QueueWorld:
    """The waiting list and its offers, in simulated time."""

    def __init__(self, cfg: Config, rng: random.Random, *, bots_first: bool) -> None:
        self.cfg, self.rng = cfg, rng
        self.events: list[_Event] = []
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
        heapq.heappush(self.events, _Event(at, self.counter, kind, data))

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


def main() -> int:
    parser = argparse.ArgumentParser(description="Bots against people over a simulated week.")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--bots", type=int, default=100)
    parser.add_argument("--seats", type=int, default=200)
    parser.add_argument("--bot-poll", type=float, default=2.0)
    parser.add_argument("--checks-per-day", type=float, default=3.0)
    parser.add_argument("--json", help="Also write the figures to this file.")
    args = parser.parse_args()
    cfg = Config(
        people=args.people,
        bots=args.bots,
        seats=args.seats,
        bot_poll=args.bot_poll,
        checks_per_day=args.checks_per_day,
    )
    common.header(
        f"bots: {cfg.people} people, {cfg.bots} bots, {cfg.seats} seats over a simulated week"
    )
    population = cfg.bots / (cfg.people + cfg.bots)
    started = time.monotonic()
    modes = {
        "open": lambda rng: simulate_open(cfg, rng),
        "queue": lambda rng: QueueWorld(cfg, rng, bots_first=False).run(),
        "queue-bots-first": lambda rng: QueueWorld(cfg, rng, bots_first=True).run(),
    }
    figures: dict = {
        "bench": "bots",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": common.machine(),
        "model": "in-memory model of the services' rules (not the services)",
        "config": cfg.__dict__,
        "runs": args.runs,
        "bots_share_of_population": round(population, 4),
        "modes": {},
    }
    for mode, simulate in modes.items():
        results = [simulate(random.Random(args.seed * 1000 + run)) for run in range(args.runs)]
        shares = [share(r) for r in results]
        mean = statistics.fmean(shares)
        error = statistics.stdev(shares) / math.sqrt(len(shares)) if len(shares) > 1 else 0.0
        figures["modes"][mode] = {
            "bots_share_mean": round(mean, 4),
            "bots_share_min": round(min(shares), 4),
            "bots_share_max": round(max(shares), 4),
            "standard_error": round(error, 4),
            # Of every seat released, obtained or not (held at the week's end).
            "bots_share_of_released_mean": round(
                statistics.fmean(r["bots"] for r in results) / cfg.seats, 4
            ),
            "seats_to_bots_mean": round(statistics.fmean(r["bots"] for r in results), 1),
            "seats_to_people_mean": round(statistics.fmean(r["people"] for r in results), 1),
            "seats_unassigned_mean": round(statistics.fmean(r["unassigned"] for r in results), 1),
        }
        print(
            f"   {mode:17} bots got {mean:6.1%} of the seats (runs: {min(shares):.1%} to "
            f"{max(shares):.1%}); their share of the population {population:.1%}"
        )
    figures["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    queue = figures["modes"]["queue"]
    if queue["bots_share_mean"] - 2 * queue["standard_error"] > population:
        print("!! in queue mode the bots got more than their share", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
