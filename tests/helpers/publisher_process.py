"""A process that hands ids to its publisher, then exits or forks, for
``test_publisher``: ``python -m tests.helpers.publisher_process exit 1,2``
or ``... fork 1,2 3,4`` (the parent's ids, then the child's).

Prints ``exiting <time.monotonic()>`` as it starts to exit, so that the test can
tell how long the exit took.
"""

from __future__ import annotations

import os
import sys
import time

import django


def main() -> int:
    django.setup()
    from notifications import outbox
    from notifications.outbox import publisher

    mode, *lists = sys.argv[1:]
    batches = [[int(i) for i in ids.split(",")] for ids in lists]
    # Outside a transaction, on_commit runs at once: straight to the publisher.
    outbox.enqueue_on_commit(batches[0])
    status = 0
    if mode == "fork":
        parent = publisher.publisher()
        pid = os.fork()
        if pid == 0:
            child = publisher.publisher()
            fresh = child is not parent and child.pid == os.getpid()
            outbox.enqueue_on_commit(batches[1])
            flushed = publisher.flush(timeout=10)
            os._exit(0 if fresh and flushed else 1)
        _pid, wait_status = os.waitpid(pid, 0)
        status = os.waitstatus_to_exitcode(wait_status)
    print(f"exiting {time.monotonic()}", flush=True)
    return status  # the parent's ids go at exit (atexit)


if __name__ == "__main__":
    sys.exit(main())
