"""Resident memory of the web and worker processes, sampled over the soak.

Reads ``VmRSS`` from ``/proc/<pid>/status`` (Linux). A process tree is its
root and every descendant: gunicorn's master and its workers, Celery's main
process and its pool child. A pid that disappears or appears mid-run (a
worker killed for a timeout and replaced) is reported: it would hide a leak.
"""

from __future__ import annotations

import contextlib
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

MB = 1024 * 1024


def rss(pid: int) -> int | None:
    """Resident set size of ``pid`` in bytes, None if it is gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return None


def _name(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:80]
    return "?"


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (from each thread's ``children`` list)."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(c) for c in (task / "children").read_text().split()]
    return found


def tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo += children(current)
    return out


@dataclass
class Series:
    """RSS samples of one process: ``(seconds since start, bytes)``."""

    label: str
    pid: int
    samples: list[tuple[float, int]] = field(default_factory=list)

    def window(self, start: float, end: float) -> list[int]:
        return [value for t, value in self.samples if start <= t <= end]


class Sampler:
    """Samples the trees of ``roots`` (label -> root pid) every ``interval``
    seconds in a thread, from ``start()`` until ``stop()``."""

    def __init__(self, roots: dict[str, int], interval: float = 2.0) -> None:
        self.roots = roots
        self.interval = interval
        self.series: dict[int, Series] = {}
        self.appeared: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.began = 0.0
        self.rounds = 0
        self.ended = 0.0

    def start(self) -> Sampler:
        self.began = time.monotonic()
        self.sample()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
        self.ended = time.monotonic() - self.began

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        now = time.monotonic() - self.began
        for label, root in self.roots.items():
            for pid in tree(root):
                value = rss(pid)
                if value is None:
                    continue
                if pid not in self.series:
                    role = "master" if pid == root else "child"
                    self.series[pid] = Series(f"{label} {role} {pid}", pid)
                    if self.rounds:
                        self.appeared.append(
                            f"{label} pid {pid} appeared at {now:.0f} s: {_name(pid)}"
                        )
                self.series[pid].samples.append((now, value))
        self.rounds += 1

    def vanished(self, end: float) -> list[str]:
        """Processes whose samples stop well before ``end`` (they exited)."""
        return [
            f"{s.label} stopped being sampled at {s.samples[-1][0]:.0f} s"
            for s in self.series.values()
            if s.samples and s.samples[-1][0] < end - 3 * self.interval
        ]


@dataclass
class Growth:
    label: str
    warm: int  # bytes: median over the first samples after the warm-up
    end: int  # bytes: median over the last samples
    peak: int

    @property
    def delta(self) -> int:
        return self.end - self.warm

    @property
    def ratio(self) -> float:
        return self.delta / self.warm if self.warm else 0.0


def growth(series: Series, *, warm_up: float, end: float, span: float) -> Growth | None:
    """Median RSS over ``[warm_up, warm_up + span]`` against the median over
    ``[end - span, end]``: single samples are noisy (the allocator breathes)."""
    first = series.window(warm_up, warm_up + span)
    last = series.window(end - span, end)
    if not first or not last:
        return None
    peak = max(value for t, value in series.samples if t >= warm_up)
    return Growth(series.label, int(statistics.median(first)), int(statistics.median(last)), peak)
