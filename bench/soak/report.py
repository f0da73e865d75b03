"""What the soak prints of its traffic (requests, events, each kind's
latencies and answers) and its verdict."""

from __future__ import annotations

import time
from collections import Counter

from bench import common


def report_traffic(traffic: dict) -> None:
    samples = traffic["samples"]
    seconds = traffic["seconds"]
    print(
        f"   traffic: {len(samples)} requests in {seconds:.0f} s ({len(samples) / seconds:.1f} "
        f"req/s); events: {traffic['events']}, of which {traffic['mediated']} bookings by "
        "the access point's mediator for walk-ins"
    )
    kinds = sorted({s[0] for s in samples})
    for kind in kinds:
        mine = [s for s in samples if s[0] == kind]
        statuses = Counter(s[1] for s in mine)
        codes = Counter(s[4] for s in mine if s[4])
        latencies = [s[2] for s in mine]
        p50, p99 = (common.ms(common.percentile(latencies, p)) for p in (50, 99))
        p95 = common.ms(common.percentile(latencies, 95))
        print(
            f"     {kind:<13} {len(mine):>6}  p50 {p50:>7} ms  p95 {p95:>7} ms  p99 {p99:>7} ms  "
            f"{dict(sorted(statuses.items()))}" + (f" {dict(codes)}" if codes else "")
        )


def verdict(problems: list[str], began: float) -> int:
    """Print the problems, the total time and the verdict; the exit status."""
    for problem in problems:
        print(f"   PROBLEM: {problem}")
    print(f"   total: {time.monotonic() - began:.0f} s")
    print("   soak: " + ("ok" if not problems else f"FAILED ({len(problems)} problems)"))
    return 1 if problems else 0
