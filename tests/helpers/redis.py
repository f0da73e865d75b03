"""Redis for the tests that run the production Lua scripts."""

from __future__ import annotations

import pytest
import redis


def require_redis() -> None:
    """Fail, not skip, without Redis: these tests are the only ones that run the
    production Lua scripts, and a skip would pass unnoticed."""
    try:
        redis.Redis(socket_connect_timeout=0.5).ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"This test needs Redis at 127.0.0.1:6379 ({exc}); `make test` starts it "
            "(scripts/ensure-test-services.sh), or: redis-server --daemonize yes"
        )
