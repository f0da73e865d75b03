"""What keeps two soaks on one machine apart: a PostgreSQL database and a Redis
database of their own.

- PostgreSQL: ``--database``, by default ``guichet_soak_<pid>`` (the soak's
  process id: no two live runs have the same). ``common.bench_database`` drops
  a database of that name first (what a killed run may have left), migrates
  it, and drops it afterwards unless ``--keep-db``. A run killed with SIGKILL
  never drops its own: the next soak drops every ``guichet_soak_<pid>`` whose
  process is gone (``orphans_drop``), on a server of this machine only.
- Redis: the broker (the Celery queue), the shared cache and the rate limits
  live in one Redis database, flushed before and after the run. Two soaks on
  one would take each other's tasks (a worker writing to the other soak's
  PostgreSQL database) and flush each other's queue. So a soak claims its
  database: the key ``CLAIM`` holds its host and pid, set in the transaction
  that flushes the database (``WATCH``, ``MULTI``/``EXEC``). A database claimed
  by a live process is never taken; one whose claimer is gone (a run killed
  with SIGKILL) is. ``--redis-url`` names the database, refused while another
  soak holds it; by default the soak takes the first free one of
  ``REDIS_DATABASES``. At the end it flushes the database (the claim goes with
  it) if the claim is still its own.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
from urllib.parse import urlsplit

# Redis databases nobody else on the machine uses whole: the tests take 5 + the
# xdist worker's number, bench/fanout 12, the other benchmarks 13, and some
# tests keep keys (with a prefix of their own) in 14, which a flush would wipe.
REDIS_DATABASES = (15, 11, 10, 9)
REDIS_SERVER = "redis://127.0.0.1:6379"
# Not matched by ``common.broker_purge``'s patterns (``*celery*``, ``*guichet:*``):
# the purge at the end of the bench database leaves the claim in place.
CLAIM = "bench-soak:claim"


def database_default() -> str:
    return f"guichet_soak_{os.getpid()}"


_SOAK_DATABASE = re.compile(r"guichet_soak_(\d+)")
# A server these names' pids can be asked about: this machine's.
_LOCAL_HOSTS = ("", "localhost", "127.0.0.1", "::1")


def orphans_drop() -> list[str]:
    """Drop the databases ``guichet_soak_<pid>`` (``database_default``) whose
    process is gone, and return their names: what runs killed with SIGKILL
    left. Not on another machine's server, where a pid says nothing."""
    from bench import common

    server = urlsplit(common.database_url("postgres"))
    if (server.hostname or "") not in _LOCAL_HOSTS:  # none: a socket of this machine
        return []
    import psycopg

    with psycopg.connect(common.database_url("postgres"), autocommit=True) as conn:
        names = [row[0] for row in conn.execute("SELECT datname FROM pg_database")]
    dropped = []
    for name in names:
        found = _SOAK_DATABASE.fullmatch(name)
        if found and not _alive(f"{socket.gethostname()}:{found[1]}"):
            common.drop_database(name)
            dropped.append(name)
    return dropped


def _me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(claimer: str) -> bool:
    """Whether the process of a claim (``host:pid``) still runs; one on another
    host is taken as alive (it cannot be asked)."""
    host, _, pid = claimer.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def redis_claim(url: str | None) -> str:
    """Claim and flush ``url``'s Redis database, or the first free one of
    ``REDIS_DATABASES``; its URL. Exits when none is free."""
    candidates = [url] if url else [f"{REDIS_SERVER}/{n}" for n in REDIS_DATABASES]
    held = []
    for candidate in candidates:
        claimer = _claim(candidate)
        if claimer is None:
            return candidate
        held.append(f"{candidate} (soak {claimer})")
    raise SystemExit(
        "no Redis database free for the soak: " + ", ".join(held) + "; name another with "
        "--redis-url"
    )


def _claim(url: str) -> str | None:
    """Flush ``url``'s database and claim it, unless a live soak holds it: its claimer then."""
    import redis

    with redis.Redis.from_url(url).pipeline() as pipe:
        while True:
            try:
                pipe.watch(CLAIM)
                claimer = (pipe.get(CLAIM) or b"").decode()
                if claimer and claimer != _me() and _alive(claimer):
                    return claimer
                pipe.multi()
                pipe.flushdb()
                pipe.set(CLAIM, _me())
                pipe.execute()
                return None
            except redis.WatchError:
                continue


def redis_release(url: str) -> None:
    """Flush the claimed database, the claim with it, if the claim is still this run's."""
    import redis

    with contextlib.suppress(redis.RedisError), redis.Redis.from_url(url).pipeline() as pipe:
        while True:
            try:
                pipe.watch(CLAIM)
                if (pipe.get(CLAIM) or b"").decode() != _me():
                    return
                pipe.multi()
                pipe.flushdb()
                pipe.execute()
                return
            except redis.WatchError:
                continue
