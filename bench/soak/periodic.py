"""A thread that does one thing every few seconds while the soak's traffic
runs: the outbox's backlog, the waiting list's snapshots, the beat."""

from __future__ import annotations

import threading
import time


class Periodic:
    """Calls ``tick()`` every ``interval`` seconds in a thread of its own, from
    ``start()`` until ``stop()``; ``began`` is when it started (monotonic). The
    thread's database connection is closed when it ends. An exception of
    ``tick`` ends the thread through ``failed`` (which raises it: the thread's
    traceback), unless a subclass records it there."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.began = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.began = time.monotonic()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def tick(self) -> None:
        raise NotImplementedError

    def failed(self, exc: Exception) -> None:
        raise exc

    def _run(self) -> None:
        from django.db import connection

        try:
            while not self._stop.wait(self.interval):
                self.tick()
        except Exception as exc:
            self.failed(exc)
        finally:
            connection.close()
