"""Measuring a benchmark's run: the CPU its processes spent, and the load
generator (``bench.loadgen`` in a subprocess) with its latency figures."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


# --- CPU ----------------------------------------------------------------------------

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_snapshot() -> dict[int, tuple[str, float]]:
    """CPU seconds (user + system) of every process, with its group: ``postgres``,
    ``redis``, the WSGI module a gunicorn process serves, else ``other``. A
    process's seconds include those of its children it has reaped (``cutime``,
    ``cstime``): a PostgreSQL backend that exits (a connection past
    ``CONN_MAX_AGE``) leaves its CPU to the postmaster, where the next snapshot
    still finds it."""
    taken: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        # utime, stime, cutime, cstime (fields 14 to 17 of proc(5))
        seconds = sum(int(tick) for tick in fields[11:15]) / _CLOCK_TICKS
        program = command.split(" ", 1)[0].rsplit("/", 1)[-1]
        # The postmaster (``/usr/lib/postgresql/15/bin/postgres -D …``), its processes.
        if program == "postgres" or "postgres:" in command:
            group = "postgres"
        elif "redis-server" in command:
            group = "redis"
        elif "gunicorn" in command:
            served = [word for word in command.split() if word.endswith(":application")]
            group = served[0] if served else "gunicorn"
        else:
            group = "other"
        taken[int(entry.name)] = (group, seconds)
    return taken


def cpu_spent(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds spent per group between two snapshots: each group's total
    after less its total before. A new process counts whole; one that exited
    leaves its seconds, counted before, to its parent (``cpu_snapshot``), so
    only what it spent since is counted, once. Before, a backend that exited
    during a round took that round's CPU with it: the join storm's PostgreSQL
    figures were low (0.05 ms a join in one round, against 0.6 by statement)."""
    spent: dict[str, float] = {}
    for group, seconds in after.values():
        spent[group] = spent.get(group, 0.0) + seconds
    for group, seconds in before.values():
        spent[group] = spent.get(group, 0.0) - seconds
    return spent


# --- Load --------------------------------------------------------------------------


@dataclass
class Result:
    """What the load generator saw for one batch of requests."""

    seconds: float
    # (status, latency, start), in seconds; status 0 is a connection error or a timeout
    samples: list[tuple[int, float, float]]
    bodies: dict[int, str]  # one sample body per status, for diagnostics

    def count(self, *statuses: int) -> int:
        return sum(1 for sample in self.samples if sample[0] in statuses)

    @property
    def server_errors(self) -> int:
        return sum(1 for sample in self.samples if sample[0] >= 500)

    @property
    def connection_errors(self) -> int:
        return self.count(0)

    @property
    def rps(self) -> float:
        return len(self.samples) / self.seconds if self.seconds else 0.0

    def latencies(self, *statuses: int) -> list[float]:
        return [sample[1] for sample in self.samples if sample[0] in statuses]


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1]


def load(
    base: str,
    requests: list[dict],
    *,
    concurrency: int,
    timeout: float = 30.0,
    rate: float = 0.0,
) -> Result:
    """Send ``requests`` (dicts: method, path, headers, body) at ``concurrency``
    from a separate process (``bench.loadgen``), so that the client's CPU is
    not the benchmark's."""
    with tempfile.TemporaryDirectory(prefix="guichet-load-") as tmp:
        spec = Path(tmp) / "requests.json"
        out = Path(tmp) / "result.json"
        spec.write_text(json.dumps({"base": base, "requests": requests}))
        subprocess.run(
            [
                PYTHON,
                "-m",
                "bench.loadgen",
                str(spec),
                str(out),
                "--concurrency",
                str(concurrency),
                "--timeout",
                str(timeout),
                "--rate",
                str(rate),
            ],
            cwd=ROOT,
            check=True,
            timeout=600,
        )
        data = json.loads(out.read_text())
    return Result(
        seconds=data["seconds"],
        samples=[tuple(sample) for sample in data["samples"]],
        bodies={int(k): v for k, v in data["bodies"].items()},
    )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"
