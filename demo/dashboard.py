"""A year of a busy prefecture, for the dashboard and its benchmark: ``busy_year_seed``.

Six sites x four procedures, 44 weeks past and 8 to come, weekdays, sixteen
20-minute slots a day of 4 counters: about 100,000 slots and 340,000 seats,
80 % of the past ones booked and 55 % of the coming ones, so about 300,000
appointments (done, no-shows, past without a record, cancelled by the person
or by staff, booked), with their messages (an SMS each, an e-mail for one in
two), the searches that found nothing before a third of them, new-slot alerts
and substitution requests.

Written in bulk (COPY, and ``INSERT ... SELECT`` for the rows derived from the
appointments): a few minutes at most. It writes the rows a year of services
would have written, without their audit rows: figures to look at, not a
history. Refused when its sites exist already (``busy-site-1``...).
"""

from __future__ import annotations

import io
import random
import time as clock
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Role, User
from booking.models import (
    REFERENCE_ALPHABET,
    Applicant,
    Appointment,
    AppointmentStatus,
    Channel,
    Procedure,
    Site,
    Slot,
)
from demo.seed.people import demo_identity
from notifications.models import AlertSubscription, Message
from substitution.models import SubstitutionRequest

SITES = 6
PROCEDURES = 4
PAST_WEEKS = 44
COMING_WEEKS = 8
CAPACITY = 4
FILL_PAST = 0.8
FILL_COMING = 0.55
# Cancelled appointments, on top of the seats held (they freed theirs).
CANCELLED_SHARE = 0.06
# Walk-in identities the appointments are spread over (numbered after the demo's).
PEOPLE = 60_000
FIRST_PERSON_NUMBER = 200_001
# The day's start times (local): 09:00 to 11:40 and 13:30 to 15:30, every 20 minutes.
TIMES = [time(9 + m // 60, m % 60) for m in range(0, 180, 20)] + [
    time(13 + (30 + m) // 60, (30 + m) % 60) for m in range(0, 140, 20)
]
SLUG_PREFIX = "busy-site-"


@dataclass(frozen=True)
class Scale:
    """How big the year is (the defaults: a busy prefecture; tests use a tiny one)."""

    sites: int = SITES
    procedures: int = PROCEDURES
    past_weeks: int = PAST_WEEKS
    coming_weeks: int = COMING_WEEKS
    people: int = PEOPLE


BUSY = Scale()


class AlreadySeeded(Exception):
    """The busy year's sites exist already."""


@dataclass(frozen=True)
class BusyYearSeeded:
    slots: int
    appointments: int
    messages: int
    failed_searches: int
    seconds: float


def _copy(table: str, columns: list[str], rows) -> int:
    """COPY ``rows`` (tuples, ``None`` as NULL) into ``table``; return how many."""
    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for row in rows:
                buffer.write(
                    "\t".join("\\N" if value is None else str(value) for value in row) + "\n"
                )
                count += 1
                if buffer.tell() > 4_000_000:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
    return count


def _reference(number: int) -> str:
    """A distinct 8-letter reference per number: 'Y' then the number in base 31."""
    letters = []
    for _ in range(7):
        number, digit = divmod(number, len(REFERENCE_ALPHABET))
        letters.append(REFERENCE_ALPHABET[digit])
    return "Y" + "".join(reversed(letters))


def _places(scale: Scale) -> tuple[list[Site], list[Procedure]]:
    sites = Site.objects.bulk_create(
        [
            Site(
                slug=f"{SLUG_PREFIX}{n}",
                name=f"Préfecture, antenne {n}",
                address=f"{n} rue de la République",
                postcode="93000",
                city="Bobigny",
            )
            for n in range(1, scale.sites + 1)
        ]
    )
    procedures = Procedure.objects.bulk_create(
        [
            Procedure(slug=f"busy-procedure-{n}", name=f"Démarche très demandée {n}")
            for n in range(1, scale.procedures + 1)
        ]
    )
    return sites, procedures


def _people(scale: Scale) -> list[Applicant]:
    people = []
    for number in range(FIRST_PERSON_NUMBER, FIRST_PERSON_NUMBER + scale.people):
        identity = demo_identity(number)
        person = Applicant(**identity)
        person.derive_identity_fields()
        people.append(person)
    return Applicant.objects.bulk_create(people, batch_size=5000)


def _slot_times(today: date, scale: Scale) -> list[tuple[datetime, datetime]]:
    first = today - timedelta(days=today.weekday()) - timedelta(weeks=scale.past_weeks)
    times = []
    for offset in range((scale.past_weeks + scale.coming_weeks) * 7):
        day = first + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for start in TIMES:
            local = timezone.make_aware(datetime.combine(day, start))
            times.append((local.astimezone(UTC), (local + timedelta(minutes=20)).astimezone(UTC)))
    return times


def busy_year_seed(*, scale: Scale = BUSY, seed: int = 18) -> BusyYearSeeded:
    """Seed the busy year (one transaction). Raises ``AlreadySeeded`` when its sites exist.

    A person holds at most one active appointment per procedure: ``scale.people``
    must exceed the coming seats of a procedure (all sites), as the default does.
    """
    started = clock.monotonic()
    if Site.objects.filter(slug__startswith=SLUG_PREFIX).exists():
        raise AlreadySeeded("The busy year is seeded already.")
    rng = random.Random(seed)
    now = timezone.now()
    today_start = timezone.make_aware(datetime.combine(timezone.localdate(now), time.min))
    with transaction.atomic():
        sites, procedures = _places(scale)
        people = _people(scale)
        # People with an account: the cancellations "by the person" are theirs.
        accounts = list(
            Applicant.objects.filter(user__isnull=False, user__role=Role.APPLICANT)[:2000]
        )
        agent_id = (
            User.objects.filter(role__in=(Role.AGENT, Role.SUPERVISOR)).values_list("pk", flat=True)
        ).first()
        times = _slot_times(timezone.localdate(now), scale)
        published = now - timedelta(weeks=scale.past_weeks + 2)
        slots = _copy(
            Slot._meta.db_table,
            [
                "site_id",
                "procedure_id",
                "starts_at",
                "ends_at",
                "pool",
                "capacity",
                "booked",
                "held",
                "published_at",
            ],
            (
                (
                    site.pk,
                    procedure.pk,
                    start.isoformat(),
                    end.isoformat(),
                    "public",
                    CAPACITY,
                    0,
                    0,
                    published.isoformat(),
                )
                for site in sites
                for procedure in procedures
                for start, end in times
            ),
        )
        slot_rows = list(
            Slot.objects.filter(site__in=sites).values_list("pk", "procedure_id", "starts_at")
        )
        appointments = _copy(
            Appointment._meta.db_table,
            [
                "reference",
                "slot_id",
                "procedure_id",
                "applicant_id",
                "identity_key",
                "surname",
                "given_names",
                "birth_date",
                "nationality",
                "document_type",
                "document_number",
                "status",
                "channel",
                "booked_by_role",
                "outside_opening_hours",
                "reschedule_count",
                "created_at",
                "updated_at",
                "cancelled_at",
                "cancelled_by_id",
            ],
            _appointment_rows(
                rng, slot_rows, people, accounts, agent_id, today_start=today_start, now=now
            ),
        )
        messages, searches = _derived_rows(sites)
        _alerts_and_requests(rng, sites, procedures, people, now)
        with connection.cursor() as cursor:
            for model in (Slot, Appointment, Message, Applicant):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
    return BusyYearSeeded(
        slots=slots,
        appointments=appointments,
        messages=messages,
        failed_searches=searches,
        seconds=clock.monotonic() - started,
    )


def _appointment_rows(rng, slot_rows, people, accounts, agent_id, *, today_start, now):
    """The appointments, slot by slot: held seats (done, no-show, past without a
    record; booked from today on) and cancellations. A person holds at most one
    active appointment per procedure: the coming ones go round the people."""
    number = 0
    next_person = dict.fromkeys({procedure for _pk, procedure, _s in slot_rows}, 0)
    for slot_id, procedure_id, starts_at in slot_rows:
        past = starts_at < today_start
        fill = FILL_PAST if past else FILL_COMING
        held = sum(1 for _ in range(CAPACITY) if rng.random() < fill)
        cancelled = 1 if rng.random() < CANCELLED_SHARE * CAPACITY else 0
        for seat in range(held + cancelled):
            is_cancelled = seat >= held
            if past or is_cancelled:
                person = people[rng.randrange(len(people))]
                cancelled_by = agent_id
                if is_cancelled and accounts and rng.random() < 0.5:
                    person = accounts[rng.randrange(len(accounts))]
                    cancelled_by = person.user_id
            else:
                index = next_person[procedure_id]
                next_person[procedure_id] = index + 1
                person = people[index % len(people)]
                cancelled_by = None
            if is_cancelled:
                status = AppointmentStatus.CANCELLED
            elif not past:
                status = AppointmentStatus.BOOKED
            else:
                draw = rng.random()
                status = (
                    AppointmentStatus.NO_SHOW
                    if draw < 0.09
                    else AppointmentStatus.ENDED
                    if draw < 0.12
                    else AppointmentStatus.DONE
                )
            created = min(
                starts_at - timedelta(days=rng.randint(1, 45), hours=rng.randint(0, 9)), now
            )
            cancelled_at = created + (starts_at - created) / 2 if is_cancelled else None
            number += 1
            yield (
                _reference(number),
                slot_id,
                procedure_id,
                person.pk,
                person.identity_key,
                person.surname,
                person.given_names,
                person.birth_date.isoformat(),
                str(person.nationality),
                person.document_type,
                person.document_number,
                status,
                Channel.WEB,
                Role.APPLICANT,
                "f",
                0,
                created.isoformat(),
                created.isoformat(),
                cancelled_at.isoformat() if cancelled_at else None,
                cancelled_by if is_cancelled else None,
            )


def _derived_rows(sites: list[Site]) -> tuple[int, int]:
    """Seats booked per slot, each appointment's messages, and a search that
    found nothing before one appointment in three: set-based, in SQL."""
    site_ids = [site.pk for site in sites]
    slot, appointment, message = (
        Slot._meta.db_table,
        Appointment._meta.db_table,
        Message._meta.db_table,
    )
    searches = apps.get_model("attempts", "FailedSearch")._meta.db_table
    in_sites = f"a.slot_id IN (SELECT id FROM {slot} WHERE site_id = ANY(%(sites)s))"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {slot} s SET booked = held.n
            FROM (SELECT slot_id, COUNT(*) AS n FROM {appointment} a
                  WHERE {in_sites} AND status <> 'cancelled' GROUP BY slot_id) held
            WHERE s.id = held.slot_id
            """,  # noqa: S608 (table names; values are parameters)
            {"sites": site_ids},
        )
        cursor.execute(
            f"""
            INSERT INTO {message} (applicant_id, appointment_id, channel, template_key, language,
                destination, subject, text, html, context, essential, status, attempts,
                next_attempt_at, in_doubt, provider_id, last_error, idempotency_key, created_at,
                updated_at, sent_at, delivered_at)
            SELECT a.applicant_id, a.id, c.channel, 'appointment_booked', 'fr',
                   CASE WHEN c.channel = 'sms' THEN '+33600000000' ELSE 'demo@guichet.test' END,
                   '', '', '', '{{}}'::jsonb, TRUE, 'delivered', 1, a.created_at, FALSE, '', '',
                   'busy:' || c.channel || ':' || a.id, a.created_at, a.created_at, a.created_at,
                   a.created_at
            FROM {appointment} a
            CROSS JOIN (VALUES ('sms'), ('email')) AS c(channel)
            WHERE {in_sites} AND (c.channel = 'sms' OR a.id %% 2 = 0)
            """,  # noqa: S608
            {"sites": site_ids},
        )
        messages = cursor.rowcount
        cursor.execute(
            f"""
            INSERT INTO {searches} (applicant_id, procedure_id, site_id, mediated, hour,
                searches, first_at, last_at)
            SELECT a.applicant_id, a.procedure_id, NULL, FALSE,
                   date_trunc('hour', a.created_at - (a.id %% 30 + 1) * interval '1 day'),
                   1 + a.id %% 5,
                   a.created_at - (a.id %% 30 + 1) * interval '1 day',
                   a.created_at - (a.id %% 30 + 1) * interval '1 day'
            FROM {appointment} a
            WHERE {in_sites} AND a.id %% 3 = 0
            ON CONFLICT DO NOTHING
            """,  # noqa: S608
            {"sites": site_ids},
        )
        failed = cursor.rowcount
    return messages, failed


def _alerts_and_requests(rng, sites, procedures, people, now) -> None:
    """3,000 new-slot alerts (a fifth of them given up) and 150 substitution requests."""
    alerts = AlertSubscription.objects.bulk_create(
        [
            AlertSubscription(
                applicant=people[n],
                procedure=procedures[n % len(procedures)],
                channels="both",
                is_active=n % 5 != 0,
                created_at=now - timedelta(days=rng.randint(1, 300)),
                unsubscribed_at=now - timedelta(days=rng.randint(0, 10)) if n % 5 == 0 else None,
            )
            for n in range(min(3000, len(people)))
        ]
    )
    through = AlertSubscription.sites.through
    through.objects.bulk_create(
        [
            through(alertsubscription_id=alert.pk, site_id=sites[(n + k) % len(sites)].pk)
            for n, alert in enumerate(alerts)
            for k in range(min(1 + n % 2, len(sites)))
        ]
    )
    requests = []
    for n in range(min(150, len(people))):
        person = people[-1 - n]
        created = now - timedelta(days=rng.randint(0, 20))
        answered = n % 3 == 0
        requests.append(
            SubstitutionRequest(
                tracking="S" + _reference(n)[1:] + "ZZ",
                surname=person.surname,
                given_names=person.given_names,
                birth_date=person.birth_date,
                nationality=person.nationality,
                document_type=person.document_type,
                document_number=person.document_number,
                identity_key=person.identity_key,
                procedure=procedures[n % len(procedures)],
                site=sites[n % len(sites)] if n % 4 else None,
                reason="nothing_free",
                email="demo@guichet.test",
                state="answered" if answered else "new",
                outcome="referred" if answered else "",
                answer="Orientation vers un autre service." if answered else "",
                answered_at=created + timedelta(days=1) if answered else None,
                created_at=created,
                due_at=created + timedelta(days=15),
            )
        )
    SubstitutionRequest.objects.bulk_create(requests)
