"""The memory of the web and worker processes: the RSS of each, after the
warm-up, against its bound; no process replaced during the run."""

from __future__ import annotations

import statistics

from bench.soak import memory

# A process fails the soak if its RSS grows, after the warm-up, by more than
# this share of its warmed-up size or by more than this many MB.
GROWTH_MAX_RATIO = 0.10
GROWTH_MAX_MB = 20


def check_memory(sampler: memory.Sampler, *, warm_up: float, end: float, span: float) -> list[str]:
    problems = []
    print(
        f"   memory (RSS): warmed up = median over {warm_up:.0f}-{warm_up + span:.0f} s, "
        f"end = median over the last {span:.0f} s; bound: +{GROWTH_MAX_RATIO:.0%} "
        f"and +{GROWTH_MAX_MB} MB"
    )
    for series in sampler.series.values():
        grown = memory.growth(series, warm_up=warm_up, end=end, span=span)
        if grown is None:
            continue
        over = grown.ratio > GROWTH_MAX_RATIO or grown.delta > GROWTH_MAX_MB * memory.MB
        # The trend: the median at each quarter of the time after the warm-up.
        quarters = [
            series.window(t - span / 2, t + span / 2)
            for t in (warm_up + (end - warm_up) * q / 4 for q in (1, 2, 3))
        ]
        trend = " ".join(f"{statistics.median(q) / memory.MB:.1f}" for q in quarters if q)
        print(
            f"     {grown.label:<28} {grown.warm / memory.MB:6.1f} MB -> "
            f"{grown.end / memory.MB:6.1f} MB ({grown.delta / memory.MB:+5.1f} MB, "
            f"{grown.ratio:+6.1%}), peak {grown.peak / memory.MB:6.1f} MB; "
            f"quarters {trend}" + ("  OVER" if over else "")
        )
        if over:
            problems.append(
                f"{grown.label} grew {grown.delta / memory.MB:+.1f} MB ({grown.ratio:+.1%})"
            )
    problems += sampler.appeared + sampler.vanished(end)
    return problems
