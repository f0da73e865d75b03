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
  (``OFFER_HOLD_HOURS``), to the first waiting entry in the list's order.
  People answer with a human delay (hours; some decline, some never answer
  and the offer expires), bots at once; a declined or expired seat goes to
  the next; two expiries pause an entry (``WAITLIST_PAUSE_AFTER_EXPIRIES``).
- ``queue-bots-first`` (a stress, not the issue's scenario): the same, but the
  bots join in the first minute of the week while people join at random
  moments: what joining early is worth.

Two runs of that week, side by side:

1. **through the services** (``bench.bots.services``, ``--runs``, 5 by
   default): on a fresh PostgreSQL database, every publication, cancellation,
   look, booking, join, offer, answer and expiry is a call to the app's own
   services at the week's simulated moment; who gets a seat is what they
   decide. About a minute a run and a mode.
2. **the model** (``bench.bots.model``, ``--model-runs``, 30 by default): the
   same rules in memory, many runs in seconds, for the spread of the figure.

Prints, per mode and run kind, the bots' share of the seats obtained (mean and
range) next to their share of the population, and the JSON of it. Exits 1 if
in ``queue`` mode the bots got more than their share through the services or
in the model (mean over the runs, with a margin of two standard errors, at
least those of a fair draw: ``margin``), or if a week through the services
broke one of the waiting list's invariants (``tests/helpers/waitlist_invariants``:
the order rule at each allocation run, the others at the week's end).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench import common
from bench.bots.model import Config, QueueWorld, share, simulate_open

MODES = ("open", "queue", "queue-bots-first")


def figures_of(results: list[dict], cfg: Config) -> dict:
    """The bots' share over runs: mean, range, standard error, seats."""
    shares = [share(r) for r in results]
    error = statistics.stdev(shares) / math.sqrt(len(shares)) if len(shares) > 1 else 0.0
    return {
        "runs": len(results),
        "bots_share_mean": round(statistics.fmean(shares), 4),
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


def margin(figures: dict, population: float, cfg: Config) -> float:
    """One standard error of the bots' mean share: over the runs, and at least
    the draw's own (a share ``population`` of the seats of every run, drawn at
    random), so that a few runs alike do not make a tiny margin."""
    seats = max(1, figures["runs"] * cfg.seats)
    return max(figures["standard_error"], math.sqrt(population * (1 - population) / seats))


def _print(kind: str, mode: str, figures: dict, population: float) -> None:
    print(
        f"   {kind:8} {mode:17} bots got {figures['bots_share_mean']:6.1%} of the seats "
        f"(runs: {figures['bots_share_min']:.1%} to {figures['bots_share_max']:.1%}); "
        f"their share of the population {population:.1%}"
    )


def services_runs(cfg: Config, runs: int, seed: int) -> dict:
    """``runs`` weeks of each mode through the services, on a fresh bench database."""
    # Tasks (messages, allocation after a commit) to a broker nobody reads: the
    # run does the beat's work itself, at the week's moments.
    os.environ["BENCH_BROKER_URL"] = "memory://"
    with common.bench_database("guichet_bench_bots") as url:
        common.django_setup(url)
        from django.test.utils import override_settings

        from bench.bots.services import ServicesWeek, cast_seed

        fillers = cfg.seats - round(cfg.seats * cfg.published_share)
        cast = cast_seed(cfg, fillers)
        # The protections of an open procedure at their defaults (the other
        # benches turn them off to replay traffic as it was before them).
        with override_settings(FREED_SEAT_DELAY_MAX_MINUTES=30, CANCEL_COOLING_HOURS=24):
            out = {}
            for mode in MODES:
                results = []
                for run in range(runs):
                    started = time.monotonic()
                    rng = random.Random(seed * 1000 + run)
                    result = ServicesWeek(cfg, rng, cast, mode=mode, run=run).run()
                    result["seconds"] = round(time.monotonic() - started, 1)
                    results.append(result)
                out[mode] = results
            return out


def model_runs(cfg: Config, runs: int, seed: int) -> dict:
    simulate: dict[str, Callable[[random.Random], dict]] = {
        "open": lambda rng: simulate_open(cfg, rng),
        "queue": lambda rng: QueueWorld(cfg, rng, bots_first=False).run(),
        "queue-bots-first": lambda rng: QueueWorld(cfg, rng, bots_first=True).run(),
    }
    return {
        mode: [simulate[mode](random.Random(seed * 1000 + run)) for run in range(runs)]
        for mode in MODES
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="Bots against people over a simulated week.")
    parser.add_argument("--runs", type=int, default=5, help="Weeks through the services, a mode.")
    parser.add_argument("--model-runs", type=int, default=30, help="Weeks of the model, a mode.")
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
    figures: dict = {
        "bench": "bots",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": common.machine(),
        "config": cfg.__dict__,
        "bots_share_of_population": round(population, 4),
        "services": {},
        "model": {},
    }
    kinds = []
    if args.runs > 0:
        kinds.append(("services", services_runs(cfg, args.runs, args.seed)))
    if args.model_runs > 0:
        kinds.append(("model", model_runs(cfg, args.model_runs, args.seed)))
    for kind, results in kinds:
        for mode, runs in results.items():
            figures[kind][mode] = figures_of(runs, cfg)
            if kind == "services":
                for key in ("refusals", "offers", "paused", "freed_seats_delayed", "seconds"):
                    figures[kind][mode][key] = [r[key] for r in runs]
                problems = [p for r in runs for p in r["problems"]]
                figures[kind][mode]["problems"] = problems[:20]
            _print(kind, mode, figures[kind][mode], population)
    figures["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    failed = False
    for kind, _results in kinds:
        queue = figures[kind]["queue"]
        if queue["bots_share_mean"] - 2 * margin(queue, population, cfg) > population:
            print(f"!! in queue mode the bots got more than their share ({kind})", file=sys.stderr)
            failed = True
        for mode, mode_figures in figures[kind].items():
            if mode_figures.get("problems"):
                print(f"!! {kind} {mode}: {mode_figures['problems']}", file=sys.stderr)
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
