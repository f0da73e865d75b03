"""The benchmarks' CPU sampler (``bench.cpu_profile``): it counts a process's
CPU, not its waits, by request path."""

from __future__ import annotations

import os
import subprocess
import sys

from bench.cpu_profile import SITE
from bench.cpu_profile.__main__ import read, report

WORK = """
import time

class Handler:
    def __call__(self, environ):
        if environ["PATH_INFO"].startswith("/wait/"):
            time.sleep(0.6)
            return
        end = time.process_time() + 0.6
        while time.process_time() < end:
            pass

for path in ("/api/v1/waitlist/12/", "/wait/", "/api/v1/waitlist/13/"):
    Handler()({"PATH_INFO": path})
"""


def test_the_sampler_counts_cpu_not_waits_by_request_path(tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": str(SITE),
        "GUICHET_CPU_PROFILE_DIR": str(tmp_path),
        "GUICHET_CPU_PROFILE_NOW": "1",
    }
    subprocess.run([sys.executable, "-c", WORK], env=env, check=True, timeout=60)  # noqa: S603

    ticks, frames, interval = read(tmp_path)

    # 1.2 s of CPU at a tick every 2 ms: 600 ticks, fewer when ticks merge.
    assert ticks["/api/v1/waitlist/<n>/"] > 200
    assert ticks["/wait/"] < 20  # 0.6 s asleep
    assert interval == 0.002
    assert frames["/api/v1/waitlist/<n>/"]["__call__ (<string>)"] == ticks["/api/v1/waitlist/<n>/"]
    shown = report(tmp_path, paths=[], requests={"/api/v1/waitlist/<n>/": 2}, top=5)
    assert "/api/v1/waitlist/<n>/ (ms/req)" in shown


def test_without_its_folder_the_sampler_does_nothing(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(SITE), "GUICHET_CPU_PROFILE_NOW": "1"}
    env.pop("GUICHET_CPU_PROFILE_DIR", None)
    subprocess.run([sys.executable, "-c", WORK], env=env, check=True, timeout=60, cwd=tmp_path)  # noqa: S603

    assert list(tmp_path.iterdir()) == []
