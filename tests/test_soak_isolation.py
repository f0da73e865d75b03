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
