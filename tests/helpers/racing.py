"""Real concurrent transactions on PostgreSQL: every call at once, each in its
own thread and database connection, released together by a barrier once
connected so that their transactions overlap.

A lock wait longer than ``LOCK_TIMEOUT`` fails the racer instead of hanging the
suite (PostgreSQL reports a deadlock as an error after ``deadlock_timeout``
whatever this says); a racer still running after the join timeout fails the
test. Tests using it are ``django_db(transaction=True)``.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from time import monotonic, sleep

from django.db import connection

# Generous: this only turns a hang into a failure, and on a loaded 2-core machine
# a dozen serialised transactions can legitimately wait seconds.
LOCK_TIMEOUT = "30s"
JOIN_TIMEOUT = 90.0  # seconds, for all racers together


def race(calls: list[Callable[[], object]], *, join_timeout: float = JOIN_TIMEOUT) -> list[object]:
    """Run every call at once, each in its own thread and connection.

    Returns, in order, what each call returned or the exception it raised.
    Fails if a racer is still running after ``join_timeout`` seconds (a hang).
    """
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def racer(index: int, call: Callable[[], object]) -> None:
        started = False
        try:
            with connection.cursor() as cursor:  # connect before the start
                cursor.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
            barrier.wait(timeout=join_timeout)
            started = True
            outcomes[index] = call()
        except BaseException as exc:  # the test inspects it
            if not started:  # release the others rather than leave them waiting
                barrier.abort()
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=racer, args=(i, call), daemon=True) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    deadline = monotonic() + join_timeout
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - monotonic()))
    assert not any(thread.is_alive() for thread in threads), "a racer hung"
    return outcomes


def kinds(outcomes: list[object]) -> Counter:
    """How many racers ended in each way: ``Appointment``, ``SlotFull``..."""
    return Counter(type(outcome).__name__ for outcome in outcomes)


def in_thread(call: Callable[[], object], outcome: list) -> threading.Thread:
    """Run ``call`` in its own thread and connection (started at once); what it
    returned or raised lands in ``outcome``."""

    def run() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
            outcome.append(call())
        except BaseException as exc:  # the test inspects it
            outcome.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def lock_wait_seen(thread: threading.Thread, *, timeout: float = 5.0) -> bool:
    """Whether another connection of this database comes to wait on a lock
    before ``thread`` ends (or ``timeout`` seconds pass)."""
    deadline = monotonic() + timeout
    while monotonic() < deadline and thread.is_alive():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
        sleep(0.02)
    return False
