"""A short soak in CI: ``bench.soak`` for 30 seconds of traffic.

gunicorn, a real Celery worker on Redis, the fake Twilio and an SMTP server,
under mixed traffic (availability, booking, cancelling, rescheduling; and 30
people on a waiting list: joining, reading their offers, accepting, declining,
letting offers expire, leaving, resuming, cancelling what the list gave them;
walk-ins on it through the mediator; an agent recording court orders for
people on it, closing a slot an appointment from the list holds and lifting
the closure);
the soak itself checks the capacity invariant on every slot, the waiting
list's invariants during the traffic and after (held seats = open offers, one
open offer per entry, one live offer or appointment per identity, one entry in
force), what each waitlister and agent was told, the priority classes against the
facts, the order rule on every allocation run of the worker during the
traffic (``bench/soak/worker.py``) and on a last round, that
every owed message was sent exactly once, that nothing answered 5xx and that
no process grew in memory beyond its bound, and exits non-zero otherwise. The
full run (10 minutes) is ``bench/soak/run.sh``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 210


def _server_url() -> str:
    """The PostgreSQL server the suite uses (the soak makes its own database there):
    config/settings_test.py always sets DATABASE_URL, a socket folder's included."""
    return urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres"))


def test_a_short_soak_keeps_every_promise():
    env = {**os.environ, "BENCH_DATABASE_URL": _server_url()}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the soak serves config.settings

    # On a timeout the soak is interrupted, not killed: its finally blocks stop
    # the gunicorn and Celery worker it started (sessions of their own), which
    # would otherwise live on and take the next soak's tasks from Redis.
    soak = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.soak",
            "--seconds",
            "30",
            "--rate",
            "25",
            "--concurrency",
            "8",
            "--applicants",
            "150",
            "--subscribers",
            "10",
            "--waitlisters",
            "30",
            # Each waitlister has a turn every 7 s or so (195 people at 25 req/s):
            # some offers are answered in time, others expire during the run.
            "--offer-hold",
            "12",
            "--drain-timeout",
            "30",
            # No --database nor --redis-url: the soak's own (a database named after
            # its pid, a Redis database it claims), so that two suites on one
            # machine, each with its gw0, do not share them (bench/soak/isolation.py).
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        # A hang, not slowness: with the waiting list (30 more people seeded, the
        # last round) it took 135 s at load 11 and 177 s at load 8 during setup.
        stdout, stderr = soak.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        soak.send_signal(signal.SIGINT)
        try:
            stdout, stderr = soak.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            soak.kill()
            stdout, stderr = soak.communicate()
        pytest.fail(f"the soak took more than {TIMEOUT} s:\n{stdout}\n{stderr[-3000:]}")
    done = subprocess.CompletedProcess(soak.args, soak.returncode, stdout, stderr)

    output = done.stdout + done.stderr[-3000:]
    assert done.returncode == 0, output
    assert "soak: ok" in done.stdout, output
    for check in (
        "capacity:",
        "waiting list during the traffic:",
        "waiting list:",
        "order rule:",
        "order rule on every run:",
        "staff:",
        "messages:",
        "delivery:",
    ):
        assert check in done.stdout, output
    assert "memory (RSS)" in done.stdout, output
    # The waiting list was played, by the waitlisters, the mediator for walk-ins and
    # an agent: their kinds answered (the soak fails on any unexpected status, when
    # no offer was made or accepted, and when no allocation run was judged).
    kinds = {line.split()[0] for line in done.stdout.splitlines() if line.startswith("     ")}
    assert {"join", "offers", "accept", "walkin_join", "injunction"} <= kinds, output
