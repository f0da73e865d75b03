"""The client's address: the one answer for rate limits, axes and the audit trail.

Gunicorn puts the socket peer in ``REMOTE_ADDR``, whatever the headers say.
Behind the reverse proxy that peer is the proxy, the same for every client,
so the address is read from ``X-Forwarded-For`` *only* when the peer is one of
``settings.TRUSTED_PROXIES`` (networks; empty by default): then the client is
the right-most entry that is not itself a trusted proxy. Each proxy appends the
address it received the request from, so the entries right of the client are
our proxies and those left of it are whatever the client sent, never read.
From any other peer the header is ignored: a client cannot choose its address.

An address that cannot be determined (a ``REMOTE_ADDR`` that is not an address,
a trusted peer with no usable header) is refused: ``ClientAddressMiddleware``
answers 400 and logs it. Serving it would be serving a request that no rate
limit nor lock-out can count.

Computed once per request and kept on it. Without trusted proxies it costs
what reading ``REMOTE_ADDR`` always did: one parse.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Iterable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_CACHED = "_guichet_client_address"


class ClientAddressUnknown(Exception):
    """The request's client address cannot be determined: it must be refused."""


def parse_networks(values: Iterable[str]) -> tuple[_Network, ...]:
    """Networks from CIDR texts (``10.0.0.0/8``, ``192.0.2.7``, ``2001:db8::/32``),
    strictly: a typo or host bits set (``10.0.0.1/8``) raise ``ValueError``."""
    return tuple(ipaddress.ip_network(str(value).strip(), strict=True) for value in values)


@lru_cache(maxsize=8)
def _trusted_networks(values: tuple) -> tuple[_Network, ...]:
    return parse_networks(values)


def _address(text: str) -> _Address:
    address = ipaddress.ip_address(text.strip())
    # A dual-stack socket reports an IPv4 client as ::ffff:a.b.c.d: one client, one key.
    if address.version == 6 and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: _Address, networks: tuple[_Network, ...]) -> bool:
    return any(address in network for network in networks)


def address_from(meta: dict, trusted: Iterable[str] | tuple = ()) -> str:
    """The client address of a request with WSGI environ ``meta``, given the
    trusted proxies. Raises ``ClientAddressUnknown``."""
    try:
        peer = _address(meta.get("REMOTE_ADDR") or "")
    except ValueError:
        raise ClientAddressUnknown("REMOTE_ADDR is not an address") from None
    if not trusted:
        return str(peer)
    networks = _trusted_networks(tuple(trusted))
    if not _is_trusted(peer, networks):
        return str(peer)
    # Several X-Forwarded-For headers reach WSGI joined by commas, in order.
    for entry in reversed((meta.get("HTTP_X_FORWARDED_FOR") or "").split(",")):
        try:
            hop = _address(entry)
        except ValueError:
            # Our own proxies wrote everything right of the client: garbage here
            # means the chain is not what TRUSTED_PROXIES describes.
            raise ClientAddressUnknown(
                "a trusted proxy sent an X-Forwarded-For entry that is not an address"
            ) from None
        if not _is_trusted(hop, networks):
            return str(hop)
    raise ClientAddressUnknown("a trusted proxy sent no client address in X-Forwarded-For")


def client_address(request: HttpRequest) -> str:
    """The address of the client that sent ``request`` (a Django or DRF request).

    Raises ``ClientAddressUnknown`` if it cannot be determined; behind
    ``ClientAddressMiddleware`` (every request) that never reaches a view.
    """
    django_request = getattr(request, "_request", request)  # DRF's Request wraps it
    known = django_request.__dict__.get(_CACHED)
    if known is not None:
        return known
    address = address_from(django_request.META, settings.TRUSTED_PROXIES)
    setattr(django_request, _CACHED, address)
    return address


def served_client_address(request: HttpRequest) -> str | None:
    """``client_address``, except for a request that never came through a web
    server (no ``REMOTE_ADDR`` at all: a bare ``HttpRequest()`` given to
    ``authenticate()``, the one Django's test client builds for
    ``force_login``), which has none. For the code that ``authenticate()`` and
    ``login()`` call (``AXES_CLIENT_IP_CALLABLE``, the login rate limit): a
    served request always has its address by then, ``ClientAddressMiddleware``
    refused it otherwise."""
    django_request = getattr(request, "_request", request)
    if "REMOTE_ADDR" not in django_request.META:
        return None
    return client_address(request)


def counted_address(address: str | None) -> str | None:
    """What per-address limits and lock-outs count ``address`` under: an IPv4
    address itself, an IPv6 address's /64. One subscriber, one home or one
    phone gets a whole /64 and may draw a new address from it at will; counted
    per /128, it would never reach a limit. (django-axes keys its lock-outs on
    the address itself, with the e-mail: the login rate limit, per /64, bounds
    how many an IPv6 client may try.)"""
    if address is None or ":" not in address:
        return address
    return str(ipaddress.IPv6Network((address, 64), strict=False))


def address_refused(request: HttpRequest) -> HttpResponse:
    """400: JSON under ``/api/``, else a page that needs no database."""
    detail = gettext(
        "Your address could not be determined, so the request was refused. "
        "If this persists, the site's configuration is at fault: please tell the prefecture."
    )
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "client_address_unknown", "detail": detail}, status=400)
    return HttpResponse(
        render_to_string("core/client_address_unknown.html", {"detail": detail}), status=400
    )


class ClientAddressMiddleware:
    """Refuses a request whose client address cannot be determined, before any
    view, rate limit or login sees it; the others get their address computed
    once, for everything after."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            client_address(request)
        except ClientAddressUnknown as exc:
            # Not the path: it may carry a token (a confirmation link).
            logger.warning(
                "Request refused, client address unknown (%s): %s from %r, X-Forwarded-For %r",
                exc,
                request.method,
                request.META.get("REMOTE_ADDR"),
                (request.META.get("HTTP_X_FORWARDED_FOR") or "")[:200],
            )
            return address_refused(request)
        return self.get_response(request)
