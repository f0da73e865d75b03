"""What a case of the permission matrix expects: an outcome per persona, and ``Case``.

An outcome is a status code, or ``LOGIN`` (a redirect to the login page),
``ADMIN_LOGIN``, ``OTP`` (to the second-factor pages), ``REDIRECT`` (any
other); ``REFUSALS`` are the redirects that refuse. ``outcomes`` gives every
persona of ``tests/personas.py`` one outcome but those it names; the builders
on top of it say what a kind of page gives (``applicant_page``, ``logged_in``,
``supervisors_only``, ``console``, ``office``, ``counter``, ``seen_by``) and
what the API gives (``API_READ``, ``api_writes``, ``api_mediators``,
``api_visible``, ``counter_api``). A ``Case`` is one request (method, URL
arguments, body, query) and what each persona gets from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.personas import PERSONAS, World

LOGIN = "login"
ADMIN_LOGIN = "admin-login"
OTP = "otp"
REDIRECT = "redirect"
REFUSALS = (LOGIN, ADMIN_LOGIN, OTP)


def outcomes(default: Any, **overrides: Any) -> dict[str, Any]:
    """Every persona gets ``default`` except those named."""
    unknown = set(overrides) - set(PERSONAS)
    assert not unknown, unknown
    return {persona: overrides.get(persona, default) for persona in PERSONAS}


# --- The pages --------------------------------------------------------------------------

PUBLIC = outcomes(200)
ANY_REDIRECT = outcomes(REDIRECT)


def applicant_page(own: Any = 200, other: Any = None) -> dict[str, Any]:
    """Applicants' pages: log in first; staff get the 'your screens are elsewhere' 403."""
    return outcomes(
        403,
        anonymous=LOGIN,
        applicant=own,
        other_applicant=own if other is None else other,
    )


def logged_in(status: Any = 200) -> dict[str, Any]:
    return outcomes(status, anonymous=LOGIN)


def supervisors_only(status: Any = 200, refused: Any = 403) -> dict[str, Any]:
    return outcomes(refused, anonymous=LOGIN, supervisor=status)


def console(mediator: Any = 200, other: Any = None, supervisor: Any = 403) -> dict[str, Any]:
    """The mediators' console: log in first; the point's mediator gets ``mediator``, the
    other point's ``other`` (the same by default), everyone else the 403 page."""
    return outcomes(
        403,
        anonymous=LOGIN,
        mediator=mediator,
        other_mediator=mediator if other is None else other,
        supervisor=supervisor,
    )


def office(agent: Any = 200, other_agent: Any = None, supervisor: Any = None) -> dict[str, Any]:
    """The agents' pages: log in first; agents and supervisors get what is said (the
    other site's agent and the supervisor as the site's by default), everyone else 403."""
    return outcomes(
        403,
        anonymous=LOGIN,
        agent=agent,
        other_agent=agent if other_agent is None else other_agent,
        supervisor=agent if supervisor is None else supervisor,
    )


def counter(granted: Any, **others: Any) -> dict[str, Any]:
    """The counter's pages: agents and supervisors get ``granted`` (or what
    ``others`` says); anyone else logged in 403."""
    return outcomes(
        403,
        anonymous=LOGIN,
        **{"agent": granted, "other_agent": granted, "supervisor": granted, **others},
    )


def seen_by(*personas: str) -> dict[str, Any]:
    """A page of an appointment: 200 for who may see it, 404 for anyone else."""
    return outcomes(404, anonymous=LOGIN, **dict.fromkeys(personas, 200))


SUBSTITUTION_STAFF = outcomes(403, anonymous=LOGIN, agent=200, other_agent=200, supervisor=200)

INJUNCTION_STAFF = outcomes(403, anonymous=LOGIN, agent=200, other_agent=200, supervisor=200)


# --- The API ----------------------------------------------------------------------------

# API: no credentials is 401 (token authentication comes first and says so).
API_READ = outcomes(200, anonymous=401)


def api_writes(**granted: Any) -> dict[str, Any]:
    """API writes on an appointment: what ``granted`` get; anyone else does not see
    it (a 404), the anonymous visitor is not authenticated (401)."""
    return outcomes(404, anonymous=401, **granted)


def api_mediators(granted: Any, **others: Any) -> dict[str, Any]:
    """The mediation API: mediators of a point get ``granted`` (or what ``others``
    says); everyone else is refused (403 ``mediators_only``)."""
    return outcomes(
        403, anonymous=401, **{"mediator": granted, "other_mediator": granted, **others}
    )


def api_visible(**seen: Any) -> dict[str, Any]:
    """An appointment through the API: 200 for who may see it, 404 for anyone else."""
    return outcomes(404, anonymous=401, **dict.fromkeys(seen, 200))


def counter_api(granted: Any, **others: Any) -> dict[str, Any]:
    """The counter's API: as ``counter``, 401 without credentials (403 ``agents_only``)."""
    return {**counter(granted, **others), "anonymous": 401}


# --- A case -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    expect: dict[str, Any]
    kwargs: Callable[[World], dict] = lambda s: {}
    method: str = "GET"
    data: Callable[[World], dict] | None = None
    query: Callable[[World], dict] | None = None
    label: str = ""
    path: Callable[[World], str] | None = None  # for a pattern that has no name
