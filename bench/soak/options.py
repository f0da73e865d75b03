"""The soak's command line (``python -m bench.soak --help``)."""

from __future__ import annotations

import argparse
import os

from bench.soak import isolation


def parse(argv: list[str] | None) -> tuple[argparse.Namespace, float, float]:
    """The options, the warm-up (seconds of traffic before memory is compared)
    and the span of the memory's windows."""
    parser = argparse.ArgumentParser(description="Guichet soaked in mixed traffic.")
    parser.add_argument("--seconds", type=float, default=600, help="Traffic duration.")
    parser.add_argument("--rate", type=float, default=40.0, help="Requests started per second.")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--applicants", type=int, default=300)
    parser.add_argument("--subscribers", type=int, default=20, help="Of them, alert subscribers.")
    parser.add_argument(
        "--waitlisters", type=int, default=60, help="More applicants, on the waiting list."
    )
    parser.add_argument(
        "--offer-hold",
        type=float,
        default=20.0,
        help="Seconds an offer holds its seat in the soak (the beat ends it then).",
    )
    parser.add_argument(
        "--beat-every", type=float, default=3.0, help="Seconds between the beat's tasks."
    )
    parser.add_argument("--seed", type=int, default=1, help="The traffic's random seed.")
    parser.add_argument(
        "--warm-up",
        type=float,
        default=None,
        help="Seconds of traffic before memory is compared (default: 20%% of it, 10-60 s).",
    )
    parser.add_argument(
        "--worker-processes",
        type=int,
        default=os.cpu_count() or 1,
        help="Celery prefork processes (default: the cores, as `celery worker` does).",
    )
    parser.add_argument("--drain-timeout", type=float, default=120.0)
    parser.add_argument("--sample-every", type=float, default=2.0, help="RSS sampling period.")
    parser.add_argument(
        "--database",
        default=isolation.database_default(),
        help="The PostgreSQL database made for the run, dropped afterwards unless --keep-db "
        "(default: guichet_soak_<the soak's pid>, one of its own).",
    )
    parser.add_argument(
        "--redis-url",
        default=None,
        help="The Redis database of the broker and the cache, flushed before and after, "
        "refused while another soak holds it (default: the first free of "
        f"{', '.join(map(str, isolation.REDIS_DATABASES))} on {isolation.REDIS_SERVER}).",
    )
    parser.add_argument("--keep-db", action="store_true", help="Do not drop the database.")
    args = parser.parse_args(argv)
    warm_up = args.warm_up if args.warm_up is not None else min(60.0, max(10.0, args.seconds / 5))
    span = min(30.0, max(6.0, args.seconds / 10))
    if args.seconds < warm_up + 2 * span:
        parser.error(f"--seconds must be at least {warm_up + 2 * span:.0f} (warm-up + two windows)")
    return args, warm_up, span
