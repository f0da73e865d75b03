"""Where a server's CPU goes, request path by request path:
``python -m bench.cpu_profile FOLDER``.

py-spy and cProfile count time, waits included (a ``psycopg`` wait looked like
4 ms of a join's work); this counts CPU. Run a benchmark with
``BENCH_CPU_PROFILE=FOLDER`` in its environment: ``bench.common`` then starts
its gunicorn servers with the sampler of ``site/sitecustomize.py``, which ticks
on each worker's own CPU (``ITIMER_PROF``, every
``GUICHET_CPU_PROFILE_INTERVAL`` s, 0.002 by default) and files each tick under
its request's path. Then this reads the folder:

- each path (its numbers as ``<n>``) with its ticks and its share;
- for the paths named by ``--path`` (the two busiest by default), the frames
  that hold most of their ticks (inclusive), side by side, and the difference
  between the first two;
- ``--own``: the frames by their own ticks (the one running), not inclusive;
- ``--requests PATH=N`` turns a path's ticks into sampled CPU ms per request
  (ticks x interval / N). Under load the kernel merges ticks that come too
  close, so these run below the CPU ``/proc`` gives (about 1.6 times below
  in the join storm): compare paths with each other, not with ``/proc``.

Example (the join storm; docs/benchmarks/2026-12-05-join-cpu-counted.md)::

    BENCH_CPU_PROFILE=/tmp/cpu bash bench/join_storm/run.sh --applicants 10000 --rounds 1
    python -m bench.cpu_profile /tmp/cpu --requests /api/v1/waitlist/=10500 \\
        --requests /api/v1/appointments/=10000
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

_NUMBER = re.compile(r"/\d+(?=/|$)")


def read(folder: Path, *, own: bool = False) -> tuple[Counter, dict[str, Counter], float]:
    """Ticks per path, and per path the ticks of each frame: inclusive, or
    ``own``, those of the frame running when the tick came; the tick's length
    in seconds (as the sampler wrote it)."""
    ticks: Counter = Counter()
    frames: dict[str, Counter] = defaultdict(Counter)
    interval = 0.0
    for dump in sorted(folder.glob("*.txt")):
        for line in dump.read_text().splitlines():
            if line.startswith("#interval\t"):
                interval = float(line.split("\t", 1)[1])
                continue
            try:
                path, stack, count = line.split("\t")
                n = int(count)
            except ValueError:
                continue  # a line cut by a dump in progress
            path = _NUMBER.sub("/<n>", path)
            ticks[path] += n
            for frame in [stack.rsplit(";", 1)[-1]] if own else set(stack.split(";")):
                frames[path][frame] += n
    return ticks, frames, interval


def _scale(path: str, ticks: Counter, requests: dict[str, int], interval: float):
    if path in requests:
        return interval * 1000 / requests[path], "ms/req"
    return 100 / max(1, ticks[path]), "%"


def report(
    folder: Path,
    *,
    paths: list[str],
    requests: dict[str, int],
    top: int,
    own: bool = False,
) -> str:
    ticks, frames, interval = read(folder, own=own)
    total = sum(ticks.values())
    if not total:
        return f"no ticks in {folder}: was the bench run with BENCH_CPU_PROFILE={folder}?"
    lines = [f"{total} ticks of {interval * 1000:g} ms"]
    for path, count in ticks.most_common():
        lines.append(f"  {count:>8}  {100 * count / total:5.1f} %  {path}")
    shown = paths or [path for path, _ in ticks.most_common() if path != "-"][:2]
    scales = [_scale(path, ticks, requests, interval) for path in shown]
    lines.append("")
    lines.append(
        "  ".join(
            f"{path[:22]:>22} ({unit})" for path, (_, unit) in zip(shown, scales, strict=True)
        )
        + ("  difference" if len(shown) >= 2 else "")
    )
    keys = set().union(*(frames[path] for path in shown))

    def value(frame: str, index: int) -> float:
        return frames[shown[index]][frame] * scales[index][0]

    if len(shown) >= 2:
        order = sorted(keys, key=lambda frame: -abs(value(frame, 0) - value(frame, 1)))
    else:
        order = sorted(keys, key=lambda frame: -value(frame, 0))
    for frame in order[:top]:
        row = "  ".join(f"{value(frame, i):>30.3f}" for i in range(len(shown)))
        if len(shown) >= 2:
            row += f"  {value(frame, 0) - value(frame, 1):+10.3f}"
        lines.append(f"{row}  {frame[:120]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Where a server's CPU goes, by request path.")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--path", action="append", default=[], help="A path to show (repeat).")
    parser.add_argument(
        "--requests", action="append", default=[], help="PATH=N: requests served on PATH."
    )
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument(
        "--own", action="store_true", help="Frames by their own ticks, not inclusive."
    )
    args = parser.parse_args(argv)
    requests = {}
    for given in args.requests:
        path, _, count = given.rpartition("=")
        if not path or not count.isdigit() or int(count) == 0:
            parser.error(f"--requests wants PATH=N, not {given!r}")
        requests[path] = int(count)
    paths = args.path or [path for path in requests if path]
    print(
        report(
            args.folder,
            paths=paths,
            requests=requests,
            top=args.top,
            own=args.own,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
