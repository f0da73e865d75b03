"""The proof-of-work against bots: a self-hosted ALTCHA challenge, or a short wait.

A protected form (registering, the substitution form, an applicant's booking,
an applicant joining a waiting list) is accepted only with one of:

- a **solution** of an ALTCHA challenge (the classic protocol: find the number
  ``n`` such that ``sha256(salt + str(n)) == challenge``, ``n`` at most
  ``ANTIBOT_MAX_NUMBER``), handed out by ``GET /api/v1/challenge/``, signed
  with a key derived from ``SECRET_KEY`` and verified by the ``altcha``
  library. The widget (``static/vendor/altcha/``) solves it in the browser by
  itself; API clients solve it and send it in the ``Altcha`` header;
- without JavaScript, a **wait token** the form carried (signed, with the
  moment it was issued): accepted once at least
  ``ANTIBOT_NOSCRIPT_WAIT_SECONDS`` have passed since. A person waits a few
  seconds; nothing to solve by sight (RGAA 1.5).

Each is good for ``ANTIBOT_EXPIRY_SECONDS`` and **once**: its signature is kept
in the cache until it expires (``cache.add``, atomic on Redis), so a solution or
a token cannot be replayed. The check costs CPU (two SHA-256, an HMAC) and one
cache write, never a database query.

Callers: ``antibot_check(request)`` for pages (an error to show, or ``None``),
``antibot_require(request)`` for the API (raises). ``settings.ANTIBOT_ENABLED``
off: both let everything through.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import UTC, datetime

import altcha
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from core.errors import (
    DomainError,
    ProofOfWorkInvalid,
    ProofOfWorkRequired,
    ProofOfWorkTooEarly,
)

ALGORITHM = "SHA-256"
# The form fields the widget and the template fill.
SOLUTION_FIELD = "altcha"
WAIT_FIELD = "antibot_wait"
# The API's header: ``Altcha: <the base64 payload>``.
SOLUTION_HEADER = "HTTP_ALTCHA"

# The refusals live with core's other domain errors (``core.errors``).
_WAIT_SALT = "core.antibot.wait"
_USED_PREFIX = "antibot:used:"


def _hmac_key() -> str:
    """The challenges' HMAC key: derived from ``SECRET_KEY``, never stored."""
    return salted_hmac("core.antibot.challenge", "hmac-key", algorithm="sha256").hexdigest()


# --- Challenges --------------------------------------------------------------------


def challenge_create(*, now: float | None = None) -> dict:
    """A new challenge, as the widget and API clients read it: ``algorithm``,
    ``challenge``, ``maxnumber``, ``salt`` (which carries its expiry) and
    ``signature``."""
    now = time.time() if now is None else now
    challenge = altcha.create_challenge_v1(
        algorithm=ALGORITHM,
        max_number=settings.ANTIBOT_MAX_NUMBER,
        hmac_key=_hmac_key(),
        expires=datetime.fromtimestamp(now + settings.ANTIBOT_EXPIRY_SECONDS, tz=UTC),
    )
    return {
        "algorithm": challenge.algorithm,
        "challenge": challenge.challenge,
        "maxnumber": challenge.max_number,
        "salt": challenge.salt,
        "signature": challenge.signature,
    }


def _use_once(kind: str, signature: str, expires_at: float, now: float) -> bool:
    """Mark ``signature`` used until ``expires_at``; ``False`` if it already was."""
    digest = hashlib.sha256(f"{kind}:{signature}".encode()).hexdigest()
    timeout = max(1, int(expires_at - now) + 1)
    return cache.add(_USED_PREFIX + digest, 1, timeout=timeout)


def solution_verify(payload: str, *, now: float | None = None) -> None:
    """Accept ``payload`` (the base64 JSON the widget puts in its field) once,
    or raise ``ProofOfWorkInvalid``: malformed, tampered with, another
    algorithm, without an expiry, expired, or already used."""
    now = time.time() if now is None else now
    if not isinstance(payload, str) or len(payload) > 2048:
        raise ProofOfWorkInvalid()
    try:
        data = altcha.PayloadV1.from_base64(payload).to_dict()
    except (ValueError, TypeError, KeyError, AttributeError):  # malformed, refused alike
        raise ProofOfWorkInvalid() from None
    if data.get("algorithm") != ALGORITHM or not isinstance(data.get("number"), int):
        raise ProofOfWorkInvalid()
    expires = altcha.extract_params_v1(data).get("expires")
    try:
        expires_at = float(expires[0]) if expires else 0.0
    except ValueError:
        raise ProofOfWorkInvalid() from None
    # Only challenges that expire were handed out, and none lives longer than this.
    if not now <= expires_at <= now + settings.ANTIBOT_EXPIRY_SECONDS + 60:
        raise ProofOfWorkInvalid()
    ok, _error = altcha.verify_solution_v1(data, _hmac_key(), check_expires=False)
    if not ok or not _use_once("solution", data["signature"], expires_at, now):
        raise ProofOfWorkInvalid()


# --- Without JavaScript: the wait -------------------------------------------------------


def wait_token_create(*, now: float | None = None) -> str:
    """A signed token carrying the moment it was issued (and a random nonce, so
    that each is used once on its own)."""
    now = time.time() if now is None else now
    return signing.dumps({"n": secrets.token_hex(8), "t": round(now, 3)}, salt=_WAIT_SALT)


def _wait_token_issued(token: str, now: float) -> float | None:
    """When ``token`` was issued, if it is genuine and not expired; else ``None``."""
    if not isinstance(token, str) or len(token) > 256:
        return None
    try:
        data = signing.loads(token, salt=_WAIT_SALT)
        issued = float(data["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if not issued - 5 <= now <= issued + settings.ANTIBOT_EXPIRY_SECONDS:
        return None
    return issued


def wait_token_usable(token: str | None, *, now: float | None = None) -> bool:
    """Is ``token`` genuine, unexpired and unused? (A form sent too early shows
    the same token again, so the wait already done counts.)"""
    now = time.time() if now is None else now
    if not token or _wait_token_issued(token, now) is None:
        return False
    digest = hashlib.sha256(f"wait:{token}".encode()).hexdigest()
    return cache.get(_USED_PREFIX + digest) is None


def wait_token_verify(token: str, *, now: float | None = None) -> None:
    """Accept ``token`` once its wait has passed, once; raise
    ``ProofOfWorkTooEarly`` (nothing used) or ``ProofOfWorkInvalid``."""
    now = time.time() if now is None else now
    issued = _wait_token_issued(token, now)
    if issued is None:
        raise ProofOfWorkInvalid()
    remaining = issued + settings.ANTIBOT_NOSCRIPT_WAIT_SECONDS - now
    if remaining > 0:
        raise ProofOfWorkTooEarly(seconds=max(1, int(remaining + 0.999)))
    if not _use_once("wait", token, issued + settings.ANTIBOT_EXPIRY_SECONDS, now):
        raise ProofOfWorkInvalid()


# --- For views and the API --------------------------------------------------------------


def _verify(solution: str, wait_token: str) -> None:
    if solution:
        solution_verify(solution)
    elif wait_token:
        wait_token_verify(wait_token)
    else:
        raise ProofOfWorkRequired()


def antibot_check(request: HttpRequest) -> DomainError | None:
    """For a page's POST: ``None`` when the form carries a valid solution or a
    wait token whose wait has passed (it is then used up), else the error to
    show in the form (in the user's language). Call it once the form is valid,
    just before the service writes: a form refused for another reason keeps
    its solution or token unused."""
    if not settings.ANTIBOT_ENABLED:
        return None
    try:
        _verify(request.POST.get(SOLUTION_FIELD, ""), request.POST.get(WAIT_FIELD, ""))
    except DomainError as exc:
        return exc
    return None


def antibot_require(request: HttpRequest) -> None:
    """For the API (DRF or Django request): the solution of a challenge of
    ``GET /api/v1/challenge/`` in the ``Altcha`` header, used up; raises
    ``ProofOfWorkRequired`` or ``ProofOfWorkInvalid`` (400, JSON by
    ``core.api.exception_handler``)."""
    if not settings.ANTIBOT_ENABLED:
        return
    solution = request.META.get(SOLUTION_HEADER, "")
    if not solution:
        raise ProofOfWorkRequired(
            _(
                "A solved proof-of-work is required: get a challenge from "
                "/api/v1/challenge/ and send its solution in the Altcha header."
            )
        )
    solution_verify(solution)
