"""The CPU sampler of ``bench.cpu_profile``, loaded at start-up by every Python
process whose ``PYTHONPATH`` holds this folder (``bench.common`` puts it there
for the gunicorn servers when ``BENCH_CPU_PROFILE`` names a folder).

In each gunicorn worker (from its fork on), ``ITIMER_PROF`` ticks with the
process's own CPU, user and system, never with its waits; each tick counts the
Python stack it interrupted, filed under the path of the request being served
(``-`` between requests). The counts are written to ``<folder>/<pid>.txt``
every two seconds and at exit: a first line ``#interval`` and the tick's
length in seconds, then path, stack and count, tab-separated.
"""

import os
import sys


def _sampler(folder: str, interval: float) -> None:
    import atexit
    import collections
    import contextlib
    import signal
    import threading
    import time

    stacks: collections.Counter = collections.Counter()
    here = os.getcwd() + os.sep

    def path_of(frame) -> str:
        while frame is not None:
            found = frame.f_locals.get("environ") if frame.f_code.co_name == "__call__" else None
            if isinstance(found, dict) and "PATH_INFO" in found:
                return found["PATH_INFO"]
            request = (
                frame.f_locals.get("req") if frame.f_code.co_name == "handle_request" else None
            )
            if request is not None:
                return getattr(request, "path", "?")
            frame = frame.f_back
        return "-"

    def tick(_signum, frame) -> None:
        names = []
        walked = frame
        while walked is not None:
            code = walked.f_code
            where = code.co_filename.rsplit("site-packages/", 1)[-1].removeprefix(here)
            names.append(f"{code.co_name} ({where})")
            walked = walked.f_back
        stacks[(path_of(frame), ";".join(reversed(names)))] += 1

    def dump() -> None:
        counted = list(stacks.items())  # one C call: no tick can change it meanwhile
        with open(os.path.join(folder, f"{os.getpid()}.txt"), "w") as out:
            out.write(f"#interval\t{interval}\n")
            for (path, stack), count in counted:
                out.write(f"{path}\t{stack}\t{count}\n")

    def dumping() -> None:
        while True:
            time.sleep(2)
            with contextlib.suppress(OSError):
                dump()

    os.makedirs(folder, exist_ok=True)
    signal.signal(signal.SIGPROF, tick)
    signal.setitimer(signal.ITIMER_PROF, interval, interval)
    threading.Thread(target=dumping, daemon=True).start()

    def last() -> None:
        # The timer stopped first: past Python's finalisation a tick would kill
        # the process (SIGPROF's default action).
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        dump()

    atexit.register(last)


def _start() -> None:
    folder = os.environ.get("GUICHET_CPU_PROFILE_DIR")
    if not folder:
        return
    interval = float(os.environ.get("GUICHET_CPU_PROFILE_INTERVAL", "0.002"))
    if os.environ.get("GUICHET_CPU_PROFILE_NOW"):  # this process, from now (the tests)
        _sampler(folder, interval)
        return
    with open("/proc/self/cmdline", "rb") as cmdline:
        if b"gunicorn" not in cmdline.read():
            return
    # The workers, not the arbiter: a timer is not inherited across fork.
    os.register_at_fork(after_in_child=lambda: _sampler(folder, interval))


if sys.platform == "linux":
    _start()
