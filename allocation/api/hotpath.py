"""The join by API, the hot write path of a join storm: what ``POST
/api/v1/waitlist/`` reads before it writes.

An applicant's join by token (``Authorization: Token <key>``, a small JSON
body of ``procedure``, ``sites`` and perhaps ``weekdays_excluded``) reads, in
the token lookup's statement (``booking.api.authentication.Joined``), the
procedure of the slug, the active sites of the slugs and, for each, whether
its capacity of the procedure is given out by the waiting list
(``booking.rules.allocation_mode_sql``, the rule of ``allocation_mode``). DRF
then authenticates from that read, the body's serializer takes the procedure
and the sites from it (``JoinReference``), and the service what the list
gives out: three reads through the ORM fewer, and no compiling of them.

A body plainly valid (``join_validated``: slugs as typed, each site found,
weekdays as integers) skips the serializer, whose making and checks cost a
quarter of a join's CPU: it gives what the serializer would have given. Any
other body goes through the serializer, which answers it, errors included.

Anything else (staff naming a person, another body, another authentication)
reads as before: the answers, errors included, are the same either way.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache

from django.db import connection
from django.http import HttpRequest

from allocation.api.serializers import MAX_SITES
from booking.api.authentication import Joined, token_lookup_joined, token_prefetched
from booking.models import AllocationMode, Procedure, Site
from booking.rules import allocation_mode_sql
from core.db import JoinedRow

# The keys of a body this read answers for: an applicant's own join.
_KEYS = frozenset({"procedure", "sites", "weekdays_excluded"})
# A larger body is not an applicant's join of a few sites: read as usual.
_MAX_BODY = 4096
# What ``WaitlistJoinSerializer`` accepts of a slug as typed (its ``SlugField``
# trims first: a padded slug is the serializer's to read).
_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,50}")


@dataclass(frozen=True)
class JoinReference:
    """What the hot read found for a body's ``procedure`` and ``sites``: the
    procedure (``None``: no such slug), and for each active site among the
    slugs asked (``asked``) its id and whether the waiting list gives the
    procedure's capacity there out."""

    slug: str
    procedure: Procedure | None
    asked: frozenset[str]
    sites: dict[str, int]
    queued: frozenset[int]
    body: dict


@cache
def _procedure_row() -> JoinedRow:
    return JoinedRow(((Procedure, "p"),))


@cache
def _joined(count: int) -> Joined:
    """The read of a procedure and ``count`` site slugs. The slugs are ``count``
    parameters, not one array: PostgreSQL then estimates ``count`` sites, its
    generic plan costs what a custom one does and it keeps it. With one array
    parameter it guessed every site, found the generic plan dearer and planned
    the statement again at each join (0.35 ms of its CPU, more than the rest of
    the read)."""
    quote = connection.ops.quote_name
    site = quote(Site._meta.db_table)
    procedure = quote(Procedure._meta.db_table)
    mode = allocation_mode_sql("p.id", "st.id")
    # Identifiers from the models' metadata, quoted; the slugs are parameters.
    joins = (
        f"LEFT JOIN {procedure} p ON p.{quote('slug')} = %s "  # noqa: S608
        "LEFT JOIN LATERAL (SELECT "
        "array_agg(st.id ORDER BY st.id) AS ids, "
        f"array_agg(st.{quote('slug')} ORDER BY st.id) AS slugs, "
        f"array_agg({mode} = '{AllocationMode.QUEUE.value}' ORDER BY st.id) AS queued "
        f"FROM {site} st WHERE st.{quote('is_active')} "
        f"AND st.{quote('slug')} = ANY(ARRAY[{', '.join(['%s'] * count)}]::text[])"
        ") js ON true"
    )
    return Joined(f"{_procedure_row().columns}, js.ids, js.slugs, js.queued", joins)


def _body(request: HttpRequest) -> dict | None:
    """The JSON body, if it is an applicant's small join (``None`` otherwise)."""
    if request.content_type != "application/json":
        return None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if not 0 < length <= _MAX_BODY:
        return None
    try:
        data = json.loads(request.body)
    except ValueError:  # not JSON, not UTF-8: the parser says so later
        return None
    if not isinstance(data, dict) or not set(data) <= _KEYS:
        return None
    slug, sites = data.get("procedure"), data.get("sites")
    if not isinstance(slug, str) or not isinstance(sites, list):
        return None
    if not 0 < len(sites) <= MAX_SITES:  # the serializer's bound
        return None
    # Only slugs as typed reach the statement: nothing the database would refuse
    # (a NUL, a lone surrogate) nor anything the serializer would trim.
    if not all(isinstance(s, str) and _SLUG.fullmatch(s) for s in (slug, *sites)):
        return None
    return data


def prefetch(request: HttpRequest) -> JoinReference | None:
    """Read the token of ``Authorization: Token <key>`` with the procedure and
    the sites of the body in one statement; hand the token to DRF's
    authentication (``token_prefetched``) and return what was read of the
    body. ``None`` (nothing read) for anything else."""
    words = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(words) != 2 or words[0].lower() != "token":
        return None
    data = _body(request)
    if data is None:
        return None
    asked = frozenset(data["sites"])
    slugs = sorted(asked)
    found, columns = token_lookup_joined(words[1], _joined(len(slugs)), (data["procedure"], *slugs))
    token_prefetched(request, words[1], found)
    if not columns:
        return None  # no such token: DRF refuses it
    width = _procedure_row().width
    (procedure,) = _procedure_row().instances(columns[:width])
    ids, slugs, queued = columns[width:]
    return JoinReference(
        slug=data["procedure"],
        procedure=procedure,
        asked=asked,
        sites=dict(zip(slugs or (), ids or (), strict=True)),
        queued=frozenset(pk for pk, listed in zip(ids or (), queued or (), strict=True) if listed),
        body=data,
    )


def _weekday(value) -> bool:
    return type(value) is int and 1 <= value <= 7


def join_validated(reference: JoinReference) -> dict | None:
    """The serializer's ``validated_data`` and slugs of the sites by id, for
    the body ``reference`` read when it is plainly valid (``None`` otherwise:
    the serializer decides). Accepts only what ``WaitlistJoinSerializer``
    accepts, and gives what it gives (a property test holds it to that)."""
    body = reference.body
    # The slugs are as typed (``_body``): each must name what was found.
    if reference.procedure is None or not all(slug in reference.sites for slug in body["sites"]):
        return None
    days = body.get("weekdays_excluded", [])
    if not isinstance(days, list) or len(days) > 7 or not all(_weekday(day) for day in days):
        return None
    if len(set(days)) >= 7:
        return None
    found = {slug: reference.sites[slug] for slug in reference.asked}
    return {
        "procedure": reference.procedure,
        "sites": sorted(found.values()),
        "weekdays_excluded": sorted(set(days)),
        "site_slugs": {pk: slug for slug, pk in found.items()},
    }
