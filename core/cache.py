"""Django's Redis cache, with one Redis client per connection pool.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for
every cache operation. Building one costs about a third of a millisecond of
CPU with redis-py 8 (it fills a case-insensitive table of some two hundred
response callbacks), more than the round trip it then makes: on the hot paths
(the rate limit counted on every booking, the availability cache) it was the
largest single cost after the database. A ``redis.Redis`` is safe to share
between threads (each command borrows a connection from the pool) and the pool
reconnects after a fork, so one client per pool and per process is enough.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis.exceptions import NoScriptError


class _SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    """``django.core.cache.backends.redis.RedisCache`` reusing its Redis clients."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _SharedClientRedisCacheClient


# The scripts' SHA1, per Redis client and script.
_scripts: dict[tuple[int, str], str] = {}


def redis_script(backend: Any, source: str) -> Callable[[list[str], list[Any]], Any] | None:
    """A Lua script to run on ``backend``'s Redis, or ``None`` if it is not Redis.

    The callable takes the keys (already made with ``backend.make_key``) and
    the arguments, and runs the script in one round trip: ``EVALSHA``, the
    script loaded again if the server lost it (a restart, ``SCRIPT FLUSH``).
    """
    if not isinstance(backend, DjangoRedisCache):
        return None
    client = backend._cache.get_client(write=True)

    def run(keys: list[str], args: list[Any]) -> Any:
        sha = _scripts.get((id(client), source))
        if sha is None:
            sha = _scripts[(id(client), source)] = client.script_load(source)
        try:
            return client.evalsha(sha, len(keys), *keys, *args)
        except NoScriptError:
            sha = _scripts[(id(client), source)] = client.script_load(source)
            return client.evalsha(sha, len(keys), *keys, *args)

    return run
