"""The record of attempts' writes: a search that found nothing, a record issued,
the retention purge."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import Role, User
from attempts import codes, selectors
from attempts.models import AttemptRecord, FailedSearch, IssuedBy
from audit.models import AuditAction
from audit.services import audit_record
from booking.models import Applicant, Procedure, Site
from privacy.services import months_before

logger = logging.getLogger(__name__)

RECORD_ISSUED = AuditAction.ATTEMPTS_RECORD_ISSUED
PURGED = AuditAction.ATTEMPTS_PURGED

_UPSERT = """
WITH person AS (
    SELECT id FROM {applicant} WHERE {person_column} = %(person)s
), wanted AS (
    SELECT id FROM {procedure} WHERE slug = %(procedure)s
), place AS (
    SELECT id FROM {site} WHERE slug = ANY(%(sites)s)
    UNION ALL SELECT NULL WHERE cardinality(%(sites)s::varchar[]) = 0
)
INSERT INTO {table}
    (applicant_id, procedure_id, site_id, mediated, hour, searches, first_at, last_at)
SELECT person.id, wanted.id, place.id, %(mediated)s, %(hour)s, 1, %(now)s, %(now)s
FROM person, wanted, place
ON CONFLICT (applicant_id, procedure_id, site_id, hour, mediated) DO UPDATE
SET searches = {table}.searches + 1,
    first_at = LEAST({table}.first_at, EXCLUDED.first_at),
    last_at = GREATEST({table}.last_at, EXCLUDED.last_at)
"""


def _upsert_sql(person_column: str) -> str:
    return _UPSERT.format(
        applicant=Applicant._meta.db_table,
        procedure=Procedure._meta.db_table,
        site=Site._meta.db_table,
        table=FailedSearch._meta.db_table,
        person_column=person_column,
    )


def failed_search_record(
    *,
    procedure: str,
    sites: tuple[str, ...] | list[str],
    now: datetime,
    user: User | None = None,
    applicant: Applicant | int | None = None,
) -> bool:
    """Count one search that found nothing, for ``procedure`` (a slug) at ``sites``
    (slugs; empty: every site), by the applicant's account ``user``, or for
    ``applicant`` (a walk-in or an account's identity, searched for by a
    mediator: ``user`` is the mediator).

    Cheap and bounded, for it may be sent by the storm's hottest read: a
    repeat of the same search by the same person within
    ``ATTEMPTS_SEARCH_GAP_SECONDS`` (a fixed window of ``now``) is the same
    attempt and costs one cache round trip; otherwise one statement (an upsert
    of the hour's row, which also finds the identity, the procedure and the
    sites by their slugs). An account without an identity, an unknown slug, or
    an anonymous search records nothing. A database error is logged, never
    raised: the search's answer matters more than its record. Returns whether
    a row was written.
    """
    if applicant is not None:
        person_column, person = "id", applicant if isinstance(applicant, int) else applicant.pk
        mediated = True
    elif user is not None and user.is_authenticated and user.role == Role.APPLICANT:
        person_column, person, mediated = "user_id", user.pk, False
    else:
        return False
    sites = sorted(set(sites))
    gap = settings.ATTEMPTS_SEARCH_GAP_SECONDS
    if gap > 0:
        window = int(now.timestamp()) // gap
        what = f"{person_column}:{person}:{procedure}:{','.join(sites)}:{int(mediated)}:{window}"
        digest = hashlib.blake2b(what.encode(), digest_size=12).hexdigest()
        if not cache.add(f"attempts:search:{digest}", 1, gap):
            return False
    hour = now.replace(minute=0, second=0, microsecond=0)
    params = {
        "person": person,
        "procedure": procedure,
        "sites": sites,
        "mediated": mediated,
        "hour": hour,
        "now": now,
    }
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_upsert_sql(person_column), params)
            return cursor.rowcount > 0
    except DatabaseError:
        logger.exception("attempts: a search that found nothing could not be recorded")
        return False


# --- Records issued --------------------------------------------------------------------


class RecordNotAllowed(Exception):
    """The actor may not issue a record for this person (answered as a 404)."""

    code = "record_not_allowed"


_ISSUED_AS = {
    Role.APPLICANT: IssuedBy.PERSON,
    Role.MEDIATOR: IssuedBy.MEDIATOR,
    Role.AGENT: IssuedBy.AGENT,
    Role.SUPERVISOR: IssuedBy.SUPERVISOR,
}


@dataclass(frozen=True)
class Issued:
    record: AttemptRecord
    code: str  # grouped for reading; stored nowhere


def record_issue(*, actor: User, applicant: Applicant, now: datetime | None = None) -> Issued:
    """Issue a record of attempts of ``applicant``: its content as of now, kept as
    issued, with a new verification code (returned once, stored hashed), in one
    transaction with its audit row (who issued it, as what, from which access
    point). The caller has checked that ``actor`` may (``attempts.views``)."""
    now = now or timezone.now()
    issued_as = _ISSUED_AS.get(actor.role)
    if issued_as is None:
        raise RecordNotAllowed
    content = selectors.record_content(applicant=applicant, now=now)
    access_point_id = actor.access_point_id if actor.role == Role.MEDIATOR else None
    code = codes.code_new()
    with transaction.atomic():
        record = AttemptRecord.objects.create(
            code_hash=codes.code_hash(code),
            applicant=applicant,
            issued_at=now,
            issued_by=actor,
            issued_as=issued_as,
            access_point_id=access_point_id,
            period_start=parse_datetime(content["period"]["from"]),
            period_end=now,
            content=content,
        )
        audit_record(
            actor=actor,
            action=RECORD_ISSUED,
            applicant=applicant,
            details={
                "record": record.pk,
                "issued_as": str(issued_as),
                "access_point": access_point_id,
                "period_from": content["period"]["from"],
                "period_to": content["period"]["to"],
                "searches": content["summary"]["searches"],
            },
        )
    return Issued(record=record, code=code)


def record_verified(code: str) -> AttemptRecord | None:
    """The record issued with ``code`` (as typed), or ``None``: unknown, changed
    and malformed codes alike."""
    hashed = codes.code_hash(code)
    if hashed is None:
        return None
    return AttemptRecord.objects.filter(code_hash=hashed).first()


# --- Retention ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptsPurge:
    searches_deleted: int
    records_deleted: int


def attempts_purge(*, now: datetime | None = None) -> AttemptsPurge:
    """Delete the searches and the records issued older than ``RETENTION_MONTHS``
    (the project's retention of personal data). Idempotent; run daily by Celery
    beat (``attempts.purge``). The records of a person whose identity is erased
    go with it (``attempts.receivers``)."""
    now = now or timezone.now()
    cutoff = months_before(now, settings.RETENTION_MONTHS)
    with transaction.atomic():
        searches, _ = FailedSearch.objects.filter(last_at__lt=cutoff).delete()
        records, _ = AttemptRecord.objects.filter(issued_at__lt=cutoff).delete()
        if searches or records:
            audit_record(
                actor=None,
                action=PURGED,
                details={
                    "searches": searches,
                    "records": records,
                    "older_than": cutoff.isoformat(),
                },
            )
    return AttemptsPurge(searches_deleted=searches, records_deleted=records)


def attempts_of_person_erase(*, applicant_id: int) -> int:
    """Delete everything recorded of a person whose identity is erased."""
    searches, _ = FailedSearch.objects.filter(applicant_id=applicant_id).delete()
    records, _ = AttemptRecord.objects.filter(applicant_id=applicant_id).delete()
    return searches + records
