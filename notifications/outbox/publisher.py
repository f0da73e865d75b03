"""Hands the message ids of committed events to the broker from a background
thread, in batches, off the request's path.

Publishing one Celery task through kombu is about 1,900 Python calls (0.8 ms
of CPU), the largest single cost of a booking request when it is done in the
request. So ``outbox.enqueue_on_commit`` puts the ids on this process's
queue and returns; one daemon thread per process takes the first id, collects
more for ``NOTIFICATIONS_PUBLISH_LINGER_MS`` or until it has
``NOTIFICATIONS_TASK_BATCH`` of them, and publishes them with
``dispatch.messages_enqueue``: one task for the bookings of a linger.

Nothing here can lose a message. An id is queued only once its outbox row is
committed, and a row that is never published (the queue full, the broker down,
the process killed before its flush) stays ``pending``: the sweep
(``messages_sweep``, every minute) publishes it once it has been due for
``NOTIFICATIONS_PENDING_GRACE``, which is far longer than a linger (a system
check, ``notifications.checks``, keeps it so). A row published twice (by a
late batch and by the sweep) is still sent once: the task claims it.

- One per process: the thread starts on first use, and again in a forked child
  (``os.getpid()`` changed). The child inherits the parent's queue but not its
  thread; it gets an empty queue of its own, and the parent publishes what it
  had queued.
- Bounded: at most ``QUEUE_SIZE`` ids wait. A request never waits for room:
  what does not fit stays ``pending`` for the sweep, with a warning.
- Flushed at exit (``atexit``: a gunicorn worker exits normally on SIGTERM and
  after ``max_requests``) and when a Celery pool process stops: what is queued
  is published without lingering, for at most ``FLUSH_TIMEOUT`` seconds.

The caller decides whether to come here: with eager Celery (the embedded
defaults, most tests) or a linger of 0, ``enqueue_on_commit`` publishes in the
request as before.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence

from celery.signals import worker_process_shutdown
from django.conf import settings

from notifications.outbox.dispatch import messages_enqueue

logger = logging.getLogger(__name__)

QUEUE_SIZE = 10_000
FLUSH_TIMEOUT = 5.0

# Put on the queue by a flush: ends the thread's linger at once.
_WAKE = object()


def _publish(ids: list[int]) -> None:
    # Not eager: the caller chose this path because Celery was not.
    messages_enqueue(ids, eager=False)


class Publisher:
    """A queue of message ids and the thread that publishes them in batches.

    ``submit`` and ``flush`` may be called from any thread of the process that
    made the publisher (see ``publisher()`` for the others).
    """

    def __init__(
        self, *, publish: Callable[[list[int]], object] = _publish, size: int | None = None
    ) -> None:
        self.pid = os.getpid()
        self._publish = publish
        self._queue: queue.Queue = queue.Queue(maxsize=size or QUEUE_SIZE)
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        # Ids submitted and not yet through a publish attempt (queued or in hand).
        self._unpublished = 0
        self._idle = threading.Condition()
        self._hurry = threading.Event()

    def submit(self, ids: Sequence[int]) -> int:
        """Queue ``ids`` for publishing; returns how many were taken. Never
        blocks nor raises: ids that do not fit stay ``pending`` for the sweep."""
        if self._thread is None:
            self._start()
        with self._idle:
            self._unpublished += len(ids)
        taken = 0
        try:
            for message_id in ids:
                self._queue.put_nowait(message_id)
                taken += 1
        except queue.Full:
            with self._idle:
                self._unpublished -= len(ids) - taken
                if not self._unpublished:
                    self._idle.notify_all()
            logger.warning(
                "The notifications publish queue is full: %d message(s) left pending "
                "for the sweep.",
                len(ids) - taken,
            )
        return taken

    def flush(self, timeout: float = FLUSH_TIMEOUT) -> bool:
        """Publish what is queued now, without lingering; wait at most
        ``timeout`` seconds. True when every submitted id went through a publish
        attempt (a failed attempt leaves its rows to the sweep)."""
        if self._thread is None:
            return True  # nothing was ever submitted
        self._hurry.set()
        try:
            # A full queue does not let the thread linger anyway.
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(_WAKE)
            with self._idle:
                return self._idle.wait_for(lambda: not self._unpublished, timeout)
        finally:
            self._hurry.clear()

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                thread = threading.Thread(
                    target=self._run, name="notifications-publisher", daemon=True
                )
                thread.start()
                self._thread = thread

    def _run(self) -> None:
        while True:
            batch = self._collect()
            if not batch:
                continue
            try:
                self._publish(batch)
            except Exception:  # messages_enqueue does not raise; the thread must not die
                logger.exception("Could not publish %d message(s); the sweep will.", len(batch))
            finally:
                with self._idle:
                    self._unpublished -= len(batch)
                    if not self._unpublished:
                        self._idle.notify_all()

    def _collect(self) -> list[int]:
        """The first id, then more for the linger or up to the batch size."""
        first = self._queue.get()
        if first is _WAKE:
            return []
        batch = [first]
        size = settings.NOTIFICATIONS_TASK_BATCH
        deadline = time.monotonic() + settings.NOTIFICATIONS_PUBLISH_LINGER_MS / 1000
        while len(batch) < size:
            remaining = 0 if self._hurry.is_set() else deadline - time.monotonic()
            try:
                item = self._queue.get(timeout=max(remaining, 0))
            except queue.Empty:
                break
            if item is _WAKE:
                break
            batch.append(item)
        return batch


_publisher: Publisher | None = None
_lock = threading.Lock()


def publisher() -> Publisher:
    """This process's publisher: made on first use, made again after a fork."""
    global _publisher
    current = _publisher
    if current is not None and current.pid == os.getpid():
        return current
    with _lock:
        if _publisher is None or _publisher.pid != os.getpid():
            _publisher = Publisher()
        return _publisher


def _after_fork_in_child() -> None:
    # Another thread of the parent may have held the lock at the fork.
    global _lock
    _lock = threading.Lock()


def flush(timeout: float = FLUSH_TIMEOUT) -> bool:
    """Flush this process's publisher, if it has one (see ``Publisher.flush``)."""
    current = _publisher
    if current is None or current.pid != os.getpid():
        return True
    done = current.flush(timeout)
    if not done:
        logger.warning(
            "Could not publish every queued message within %.1f s; the sweep will.", timeout
        )
    return done


def _flush_at_exit(**_kwargs) -> None:
    flush()


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_flush_at_exit)
# A Celery pool process leaves through os._exit, past atexit.
worker_process_shutdown.connect(_flush_at_exit, weak=False)
