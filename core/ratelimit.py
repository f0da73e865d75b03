"""Rate limits: how many requests of a kind one account, one client address or
one phone number may make in a window, counted in Django's cache.

``settings.RATELIMITS`` maps a scope (``"booking"``) to the keys it is counted
by (``"account"``, ``"ip"``, ``"phone"``) and their rate ``(requests, seconds)``
(``RATELIMIT_*`` in the environment). ``hit(scope, account=..., ip=...)``
counts one request under every key given and raises ``RateLimited`` when one
of them is over its rate, with the seconds until its window ends.

Windows are fixed (aligned on multiples of the period): a counter per key and
window, created with the window's lifetime and incremented atomically, so
concurrent requests and processes never lose a count. A client may spend two
windows' worth around a boundary; that is the price of one cheap round trip.
On Redis all the keys of a request are counted by one Lua script (one round
trip); other caches (the in-process default) use ``add`` and ``incr``. Without
Redis each process counts on its own: production sets ``REDIS_URL``.

Where it is used:

- pages: ``@ratelimited("booking")`` on the view; ``RateLimitedMiddleware``
  renders ``core/429.html`` (or JSON under ``/api/``) for a ``RateLimited``
  raised by a view or by a service it calls;
- the API: ``ScopedRateLimit`` (DRF's default throttle class) counts the
  view's ``throttle_scope``; ``core.api.exception_handler`` answers 429 JSON;
- logins: ``LoginRateLimitBackend`` counts every ``authenticate()`` made with
  a request (both login forms, the admin's and the token endpoint);
- SMS codes: ``accounts.services.phone_code_send`` counts per account, per
  number across accounts and per address.

The client address is ``core.client.client_address``: never missing (a request
whose address cannot be determined is refused before it gets here), and behind
the reverse proxy the client's, not the proxy's (``TRUSTED_PROXIES``).

``RateLimited`` is deliberately not a ``DomainError``: views that turn domain
errors into a form message must not turn "slow down" into a 200.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import BaseThrottle

from core.cache import redis_script
from core.client import client_address, counted_address, served_client_address

# Scopes whose reads count too; elsewhere only writes (POST...) are counted.
READ_SCOPES = frozenset({"availability", "people_find", "agent_search"})


class RateLimited(Exception):
    code = "rate_limited"
    status = 429
    default_message = gettext_lazy(
        "Too many requests in a short time. Please wait %(minutes)s minute(s) and try again."
    )

    def __init__(self, *, scope: str, retry_after: int) -> None:
        self.scope = scope
        self.retry_after = max(1, int(retry_after))
        super().__init__(f"{scope}: retry after {self.retry_after} s")

    @property
    def detail(self) -> str:
        return str(self.default_message) % {"minutes": math.ceil(self.retry_after / 60)}


def _cache_key(scope: str, kind: str, value: str, window: int) -> str:
    # Hashed: no phone number nor address in clear in the cache, any length fits.
    digest = hashlib.blake2b(f"{kind}:{value}".encode(), digest_size=12).hexdigest()
    return f"rl:{scope}:{kind}:{digest}:{window}"


# INCR each key; a counter just created gets its window's lifetime. One command,
# atomic: no count is lost and no counter outlives its window.
_COUNT_LUA = """
local counts = {}
for i, key in ipairs(KEYS) do
    local n = redis.call('INCR', key)
    if n == 1 then redis.call('EXPIRE', key, ARGV[i]) end
    counts[i] = n
end
return counts
"""


def _count(keys: list[tuple[str, int]]) -> list[int]:
    """Increment each ``(key, lifetime)`` and return the new counts."""
    # The backend itself: ``django.core.cache.cache`` is a proxy, never a RedisCache.
    cache = caches["default"]
    if (count := redis_script(cache, _COUNT_LUA)) is not None:
        # One round trip and one command for every key. make_key, not
        # make_and_validate_key: the keys are ours (hex digests), and
        # validating walks every character.
        names = [cache.make_key(key) for key, _ttl in keys]
        return [int(n) for n in count(names, [ttl for _key, ttl in keys])]
    counts = []
    for key, ttl in keys:
        cache.add(key, 0, ttl)
        try:
            counts.append(cache.incr(key))
        except ValueError:  # expired between add and incr
            cache.set(key, 1, ttl)
            counts.append(1)
    return counts


def hit(scope: str, *, now: float | None = None, **keys: Any) -> None:
    """Count one request of ``scope`` under each key given (``account=``, ``ip=``,
    ``phone=``; ``None`` skips it). Raises ``RateLimited`` if one is over its rate."""
    rates = settings.RATELIMITS.get(scope)
    if not rates:
        return
    now = time.time() if now is None else now
    counted = []
    for kind, value in keys.items():
        rate = rates.get(kind)
        if value is None or value == "" or rate is None:
            continue
        limit, period = rate
        if kind == "ip":
            value = counted_address(value)
        window = int(now // period)
        ends_in = (window + 1) * period - now
        counted.append((_cache_key(scope, kind, str(value), window), period, limit, ends_in))
    if not counted:
        return
    counts = _count([(key, period) for key, period, _limit, _ends in counted])
    waits = [
        ends_in
        for (_key, _period, limit, ends_in), count in zip(counted, counts, strict=True)
        if count > limit
    ]
    if waits:
        raise RateLimited(scope=scope, retry_after=math.ceil(max(waits)))


def _account_of(request: HttpRequest) -> int | None:
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


# --- Pages ---------------------------------------------------------------------------


def ratelimited(scope: str, *, methods: tuple[str, ...] = ("POST",)) -> Callable:
    """Count the view's ``methods`` requests in ``scope``, per account and address."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in methods:
                hit(scope, account=_account_of(request), ip=client_address(request))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def rate_limited_response(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    """429 with ``Retry-After``: JSON under ``/api/``, else a readable page."""
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"code": exc.code, "detail": exc.detail}, status=exc.status
        )
    else:
        retry_at = timezone.localtime() + timezone.timedelta(seconds=exc.retry_after)
        response = render(
            request,
            "core/429.html",
            {"message": exc.detail, "retry_at": retry_at, "retry_after": exc.retry_after},
            status=exc.status,
        )
    response["Retry-After"] = str(exc.retry_after)
    return response


class RateLimitedMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, RateLimited):
            return rate_limited_response(request, exc)
        return None


# --- API -------------------------------------------------------------------------------


class ScopedRateLimit(BaseThrottle):
    """DRF throttle: the view's ``throttle_scope``, per account and address.

    A scope without rates in ``RATELIMITS`` costs nothing: the token endpoint's
    ``"auth"`` is counted by ``LoginRateLimitBackend`` (as ``"login"``).
    """

    def allow_request(self, request, view) -> bool:
        scope = getattr(view, "throttle_scope", None)
        if not scope or scope not in settings.RATELIMITS:
            return True
        if request.method in SAFE_METHODS and scope not in READ_SCOPES:
            return True
        # Raised rather than returned: its status, code and Retry-After are ours.
        hit(scope, account=_account_of(request), ip=client_address(request))
        return True


# --- Logins ----------------------------------------------------------------------------


class LoginRateLimitBackend:
    """Counts each login attempt per client address, then lets the next backend
    check the password. Raising ``RateLimited`` (not ``PermissionDenied``) stops
    ``authenticate()`` without counting a failure against the e-mail address."""

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        if request is not None:
            hit("login", ip=served_client_address(request))
        return None

    # No get_user(): this backend never logs anyone in, and Django's test client
    # picks the first backend that has one for force_login().
