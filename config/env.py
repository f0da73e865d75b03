"""Strict readers for settings that come from the environment.

A typo in production configuration must stop the process at start-up, not
silently fall back to a default: ``DEBUG=flase`` raises instead of meaning
"off".
"""

from __future__ import annotations

import ipaddress
import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ImproperlyConfigured(f"The environment variable {name} is required.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean: use one of {sorted(_TRUE | _FALSE)}."
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


_RATE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def env_rate(name: str, default: str) -> tuple[int, int]:
    """A rate as ``(requests, seconds)`` from ``"<requests>/<period>"``: the period
    is a unit (``s``, ``m``, ``h``, ``d``), optionally preceded by a count of units
    (``"30/10m"``: 30 requests per 10 minutes)."""
    value = os.environ.get(name)
    text = default if value is None or value.strip() == "" else value.strip()
    count, _, period = text.partition("/")
    unit = period[-1:]
    units = period[:-1] or "1"
    # ASCII digits: "²".isdigit() is true, and int("²") raises a bare ValueError.
    if not (_digits(count) and unit in _RATE_UNITS and _digits(units)):
        raise ImproperlyConfigured(
            f"{name}={text!r} is not a rate: write <requests>/<period>, "
            "for example 10/m, 30/10m, 5/h or 100/d."
        )
    requests, seconds = int(count), int(units) * _RATE_UNITS[unit]
    if requests < 1 or seconds < 1:
        raise ImproperlyConfigured(f"{name}={text!r}: both numbers must be at least 1.")
    return requests, seconds


def env_networks(name: str, default: list[str]) -> tuple[str, ...]:
    """Comma-separated networks in CIDR notation (``10.0.0.0/8, 2001:db8::/32``; a
    bare address is a network of one), normalised. Strict: a typo, or host bits
    set (``10.0.0.1/8``, which usually means a mistaken mask), raise."""
    networks = []
    for item in env_list(name, default):
        try:
            networks.append(str(ipaddress.ip_network(item, strict=True)))
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: {item!r} is not a network ({exc}).") from None
    return tuple(networks)
