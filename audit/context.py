"""Where the current action comes from, for the audit rows the services write.

Services take their actor explicitly but not the request: the client's
address is carried here, set by ``audit.middleware.AuditContextMiddleware``
for each request (Celery tasks and commands have none).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

_client_ip: ContextVar[str | None] = ContextVar("audit_client_ip", default=None)


def client_ip() -> str | None:
    return _client_ip.get()


@contextmanager
def client_ip_set(ip: str | None):
    token = _client_ip.set(ip)
    try:
        yield
    finally:
        _client_ip.reset(token)
