"""The allocation bench's world, seeded in bulk (``COPY``): a procedure given
out by its waiting list at ``SITES`` sites, ``entries`` people waiting (their
accounts and identities, the sites they reach and the weekdays they cannot
come drawn at random, a few in a priority class by the facts that give it,
joined over two months) and
``seats`` seats of the list's pool published at one moment over two weeks.
Run after ``bench.common.django_setup``."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

SITES = 3


def _copy(table: str, columns: list[str], rows) -> None:
    """``COPY`` rows into ``table`` (psycopg's copy: the fastest bulk insert)."""
    from django.db import connection

    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _identity_key(n: int) -> str:
    from booking.identity import identity_key

    return identity_key(document_type="agdref", document_number=f"{n:010d}", nationality="SN")


def accounts_seed(entries: int, now: datetime) -> tuple[int, dict[int, int]]:
    """``entries`` verified applicant accounts with their identities: the first
    account's id, and the identity's id of each account."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from accounts.models import User
    from booking.models import Applicant

    password = make_password(None)
    user_table = User._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {user_table}")  # noqa: S608
        first_user = cursor.fetchone()[0] + 1
    _copy(
        user_table,
        [
            "id",
            "password",
            "email",
            "full_name",
            "role",
            "language",
            "phone",
            "email_verified_at",
            "phone_verified_at",
            "is_active",
            "is_staff",
            "is_superuser",
            "date_joined",
            "session_generation",
            "suspension_reason",
        ],
        (
            (
                first_user + n,
                password,
                f"bench-alloc-{n}@example.org",
                "",
                "applicant",
                "fr",
                f"+3361{n:07d}",
                now,
                now,
                True,
                False,
                False,
                now,
                0,
                "",
            )
            for n in range(entries)
        ),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{user_table}', 'id'), %s)",
            [first_user + entries],
        )
    _copy(
        Applicant._meta.db_table,
        [
            "user_id",
            "surname",
            "given_names",
            "birth_date",
            "nationality",
            "document_type",
            "document_number",
            "phone",
            "email",
            "preferred_language",
            "surname_normalized",
            "given_names_normalized",
            "identity_key",
            "created_at",
        ],
        (
            (
                first_user + n,
                f"Bench{n}",
                "Awa",
                date(1990, 1, 1),
                "SN",
                "agdref",
                f"{n:010d}",
                "",
                "",
                "fr",
                f"BENCH{n}",
                "AWA",
                _identity_key(n),
                now,
            )
            for n in range(entries)
        ),
    )
    applicants = dict(
        Applicant.objects.filter(user_id__gte=first_user).values_list("user_id", "pk")
    )
    return first_user, applicants


def entries_seed(
    *,
    entries: int,
    procedure_id: int,
    site_ids: list[int],
    first_user: int,
    applicants: dict[int, int],
    now: datetime,
    rng: random.Random,
) -> None:
    """One entry per person: the sites they reach, the weekdays they cannot
    come, joined at a moment of the last two months; their classes follow
    facts seeded with them (the beat's sweep finds nothing stale): 1% with a
    court order not served, 2% with a closure's right, 5% with a permit
    expiring within the window, 5% more with a permit recorded that expires
    later (no class)."""
    from django.utils import timezone

    from allocation.models import PriorityClass, WaitlistEntry

    joined_from = now - timedelta(days=60)
    soon = timezone.localdate(now) + timedelta(days=10)
    later = timezone.localdate(now) + timedelta(days=200)
    facts: dict[int, str] = {}  # applicant id: "order" or "right"

    def entry_row(n: int):
        reach = sorted(rng.sample(site_ids, rng.randint(1, len(site_ids))))
        excluded = sorted(rng.sample(range(1, 6), rng.choice((0, 0, 1, 2))))
        draw = rng.random()
        applicant = applicants[first_user + n]
        klass, permit = PriorityClass.NONE, None
        if draw < 0.01:
            klass, facts[applicant] = PriorityClass.COURT_ORDER, "order"
        elif draw < 0.03:
            klass, facts[applicant] = PriorityClass.CANCELLED_BY_PREFECTURE, "right"
        elif draw < 0.08:
            klass, permit = PriorityClass.PERMIT_EXPIRING, soon
        elif draw < 0.13:
            permit = later
        at = joined_from + timedelta(seconds=rng.uniform(0, 60 * 86400))
        return (
            applicant,
            procedure_id,
            _identity_key(n),
            "{" + ",".join(map(str, reach)) + "}",
            "{" + ",".join(map(str, excluded)) + "}",
            int(klass),
            permit,
            at,
            at,
            "waiting",
            0,
            0,
            "web",
            at,
        )

    _copy(
        WaitlistEntry._meta.db_table,
        [
            "applicant_id",
            "procedure_id",
            "identity_key",
            "site_ids",
            "weekdays_excluded",
            "priority_class",
            "permit_expires_on",
            "queued_at",
            "joined_at",
            "status",
            "declines",
            "expiries",
            "channel",
            "updated_at",
        ],
        (entry_row(n) for n in range(entries)),
    )
    _facts(facts, procedure_id=procedure_id, site_id=site_ids[0], now=now)


def _facts(facts: dict[int, str], *, procedure_id: int, site_id: int, now: datetime) -> None:
    """The court orders not served and the closures' rights still valid that
    give their people the class the entries were seeded with."""
    from django.utils import timezone

    from booking.models import Injunction, PriorityRight, PriorityRightSource

    day = timezone.localdate(now)
    Injunction.objects.bulk_create(
        (
            Injunction(
                court="TA Montreuil",
                case_number=f"BENCH-{applicant}",
                ordered_on=day,
                deadline=day + timedelta(days=30),
                applicant_id=applicant,
                procedure_id=procedure_id,
                site_id=site_id,
            )
            for applicant, fact in facts.items()
            if fact == "order"
        ),
        batch_size=2000,
    )
    PriorityRight.objects.bulk_create(
        (
            PriorityRight(
                applicant_id=applicant,
                procedure_id=procedure_id,
                valid_until=now + timedelta(days=30),
                source=PriorityRightSource.CLOSURE,
            )
            for applicant, fact in facts.items()
            if fact == "right"
        ),
        batch_size=2000,
    )


def _seats(*, seats: int, procedure, sites: list, now: datetime) -> int:
    """The seats: two weeks of weekdays from the day after tomorrow, 28 times a
    day (08:00-17:20, 20 minutes) at each site, the seats spread evenly over
    those slots of the list's pool. Returns the number of slots."""
    from django.utils import timezone

    from booking.models import Pool, Slot

    tz = timezone.get_current_timezone()
    days = []
    day = timezone.localdate(now) + timedelta(days=2)
    while len(days) < 10:
        if day.isoweekday() <= 5:
            days.append(day)
        day += timedelta(days=1)
    starts = [
        datetime(d.year, d.month, d.day, 8, tzinfo=tz) + timedelta(minutes=20 * i)
        for d in days
        for i in range(28)
    ]
    count = len(starts) * len(sites)
    slots = []
    for index, (site, starts_at) in enumerate((s, t) for s in sites for t in starts):
        capacity = seats // count + (1 if index < seats % count else 0)
        slots.append(
            Slot(
                site=site,
                procedure=procedure,
                pool=Pool.QUEUE,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=20),
                capacity=capacity,
                published_at=now,
            )
        )
    Slot.objects.bulk_create(slots, batch_size=2000)
    return count


def seed(*, entries: int, seats: int, rng: random.Random) -> dict:
    """The world, in one transaction, then ``VACUUM ANALYZE``: the procedure's
    id, the number of slots and the first bench account's id."""
    from django.db import connection, transaction
    from django.utils import timezone

    from booking.models import (
        AllocationMode,
        AllocationPolicy,
        Procedure,
        RequiredDocument,
        Site,
    )

    now = timezone.now()
    with transaction.atomic():
        sites = [
            Site.objects.create(slug=f"bench-site-{n}", name=f"Bench site {n}", address="1 rue")
            for n in range(SITES)
        ]
        procedure = Procedure.objects.create(
            slug="bench-allocation",
            name="Bench allocation",
            required_document=RequiredDocument.EITHER,
            cutoff_hours=0,
            horizon_days=30,
        )
        AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
        first_user, applicants = accounts_seed(entries, now)
        entries_seed(
            entries=entries,
            procedure_id=procedure.pk,
            site_ids=[site.pk for site in sites],
            first_user=first_user,
            applicants=applicants,
            now=now,
            rng=rng,
        )
        count = _seats(seats=seats, procedure=procedure, sites=sites, now=now)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"procedure": procedure.pk, "slots": count, "first_user": first_user}
