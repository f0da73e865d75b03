"""The soak's Celery worker: ``python -m bench.soak.worker`` runs ``celery -A
config worker ...`` (the arguments given), with the order rule checked on
every allocation run it makes, during the traffic.

Two receivers are connected before Celery starts (the prefork children
inherit them):

- Celery's ``task_prerun``: before each task, a PostgreSQL snapshot
  (``pg_current_snapshot()``) on the task's connection, so before any
  allocation the task runs reads the list;
- ``allocation.signals.offers_made``, which ``offers_allocate`` sends inside
  its transaction: ``tests.helpers.waitlist_invariants.run_order_judge`` judges
  the run's offers there, setting aside what was written after that snapshot
  (what may have changed under the run: its docstring says exactly what).

The result goes, once the run has committed, to the soak's own Redis database
(the broker's, ``CELERY_BROKER_URL``) under ``ORDER_KEYS``; the soak's process
reads it at the end (``bench.soak.checks.order``). A run made outside a task
(no snapshot) is counted and not judged, which fails the soak: every run the
soak causes must be judged. Nothing here is part of the app: the soak alone
starts its worker this way.
"""

from __future__ import annotations

import sys

# The soak's Redis keys (its own database, flushed before and after the run).
ORDER_KEYS = {
    "runs": "bench-soak:order:runs",
    "judged": "bench-soak:order:judged",
    "unjudged": "bench-soak:order:unjudged",
    "set_aside": "bench-soak:order:set-aside",
    "blind": "bench-soak:order:blind",  # runs with no snapshot: not judged
    "problems": "bench-soak:order:problems",
}
# How many problems the worker records (each run adds its own).
PROBLEMS_KEPT = 50

_state: dict[str, object] = {"snapshot": None, "redis": None}


def snapshot_take(**_kwargs) -> None:
    """``task_prerun``: the snapshot every allocation of this task is judged against."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_snapshot()::text")
        (_state["snapshot"],) = cursor.fetchone()


def snapshot_forget(**_kwargs) -> None:
    """``task_postrun``: a run outside a task must not use a task's snapshot."""
    _state["snapshot"] = None


def run_judge(sender, *, offers, now, **_kwargs) -> None:
    """``offers_made``: judge the run in its transaction, record once it commits."""
    from django.db import transaction

    from tests.helpers.waitlist_invariants import run_order_judge

    snapshot = _state["snapshot"]
    if snapshot is None:
        record = {"runs": 1, "blind": 1}
        problems: list[str] = []
    else:
        judgement = run_order_judge(offers, snapshot=str(snapshot))
        record = {
            "runs": 1,
            "judged": judgement.judged,
            "unjudged": judgement.unjudged,
            "set_aside": judgement.set_aside,
        }
        problems = [f"run at {now.isoformat()}: {p}" for p in judgement.problems]
    transaction.on_commit(lambda: _record(record, problems))


def _record(counts: dict[str, int], problems: list[str]) -> None:
    import redis
    from django.conf import settings

    client = _state["redis"]
    if client is None:
        client = _state["redis"] = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    pipe = client.pipeline()
    for name, value in counts.items():
        pipe.incrby(ORDER_KEYS[name], value)
    if problems:
        pipe.rpush(ORDER_KEYS["problems"], *problems)
        pipe.ltrim(ORDER_KEYS["problems"], 0, PROBLEMS_KEPT - 1)
    pipe.execute()


def connect() -> None:
    from celery.signals import task_postrun, task_prerun

    from allocation.signals import offers_made

    task_prerun.connect(snapshot_take, weak=False)
    task_postrun.connect(snapshot_forget, weak=False)
    offers_made.connect(run_judge, weak=False, dispatch_uid="bench.soak.order")


def main() -> None:
    from celery.__main__ import main as celery_main

    connect()
    sys.argv = ["celery", *sys.argv[1:]]
    celery_main()


if __name__ == "__main__":
    main()
