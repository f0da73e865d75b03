"""Where the current action comes from, for the audit rows the services write.

Services take their actor explicitly but not the request: the client's
address is carried here, set by ``audit.middleware.AuditContextMiddleware``
for each request (Celery tasks and commands have none).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_client_ip: ContextVar[str | None] = ContextVar("audit_client_ip", default=None)
# The request's user (Django's lazy object: nothing is loaded until asked).
_request_user: ContextVar[Any] = ContextVar("audit_request_user", default=None)


def client_ip() -> str | None:
    return _client_ip.get()


def request_user() -> Any:
    """The user logged in on the current request, or ``None`` (anonymous, or
    no request: a task, a command). For code reached by a signal, which is
    not told who acts."""
    user = _request_user.get()
    if user is None or not user.is_authenticated:
        return None
    return user


@contextmanager
def client_ip_set(ip: str | None, user: Any = None):
    token = _client_ip.set(ip)
    user_token = _request_user.set(user)
    try:
        yield
    finally:
        _client_ip.reset(token)
        _request_user.reset(user_token)
