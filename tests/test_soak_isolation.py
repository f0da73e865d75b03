"""Two soaks on one machine keep apart (``bench/soak/isolation.py``): a
PostgreSQL database named after the run, and a Redis database claimed before
it is flushed, never one a live soak holds.

The claims are tried on this xdist worker's own Redis database (5 + its
number), never on the soak's, which a soak may be using meanwhile.
"""

from __future__ import annotations

import os
import socket
import subprocess

import pytest
import redis

from bench.soak import isolation
from tests.helpers.celery_worker import broker_url


@pytest.fixture
def url():
    client = redis.Redis.from_url(broker_url())
    client.flushdb()
    yield broker_url()
    client.flushdb()


def _claimer(pid: int) -> str:
    return f"{socket.gethostname()}:{pid}"


def test_a_soak_database_is_named_after_the_run():
    assert isolation.database_default() == f"guichet_soak_{os.getpid()}"


def test_a_free_redis_database_is_claimed_flushed_and_released(url):
    client = redis.Redis.from_url(url)
    client.set("left-by-an-earlier-run", "1")

    assert isolation.redis_claim(url) == url

    assert client.keys("*") == [isolation.CLAIM.encode()]
    assert client.get(isolation.CLAIM).decode() == _claimer(os.getpid())
    isolation.redis_release(url)
    assert client.keys("*") == []


def test_a_redis_database_a_live_soak_holds_is_refused_and_left_alone(url):
    client = redis.Redis.from_url(url)
    other = _claimer(os.getppid())  # a live process that is not this one
    client.set(isolation.CLAIM, other)
    client.set("celery", "the other soak's queue")

    with pytest.raises(SystemExit, match="no Redis database free"):
        isolation.redis_claim(url)
    isolation.redis_release(url)

    assert client.get(isolation.CLAIM).decode() == other
    assert client.get("celery") == b"the other soak's queue"


def test_a_redis_database_whose_soak_is_gone_is_taken_over(url):
    ended = subprocess.Popen(["true"])  # noqa: S607 - a process that has ended
    ended.wait()
    client = redis.Redis.from_url(url)
    client.set(isolation.CLAIM, _claimer(ended.pid))

    assert isolation.redis_claim(url) == url
    assert client.get(isolation.CLAIM).decode() == _claimer(os.getpid())


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])  # noqa: S607 - a process that ends at once
    child.wait()
    return child.pid


def test_the_databases_of_killed_soaks_are_dropped_not_those_of_live_ones(monkeypatch):
    from urllib.parse import urlsplit, urlunsplit

    from bench import common

    server = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres"))
    monkeypatch.setenv("BENCH_DATABASE_URL", server)
    dead, live = f"guichet_soak_{_dead_pid()}", f"guichet_soak_{os.getpid()}_x"
    alive = f"guichet_soak_{os.getppid()}"  # a process that runs: its soak may too
    for name in (dead, live, alive):
        common.drop_database(name)
        common._admin_sql(f'CREATE DATABASE "{name}"')
    try:
        dropped = isolation.orphans_drop()

        assert dead in dropped
        assert not {live, alive} & set(dropped)
        assert not _exists(dead) and _exists(live) and _exists(alive)
    finally:
        for name in (dead, live, alive):
            common.drop_database(name)


def _exists(name: str) -> bool:
    import psycopg

    from bench import common

    with psycopg.connect(common.database_url("postgres"), autocommit=True) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())
