"""The estimate of the wait a person is shown: their place divided by the seats
the list actually gave out (offers accepted) per week over the last
``WAITLIST_ESTIMATE_WEEKS`` weeks, in whole weeks rounded up. Only what was given out
recently, by this list, counts; the figure follows the list as it moves (people
ahead leave or are served) and the pace as it changes. The case of no seat
given out lately (no figure at all) is ``tests/api/test_waitlist_api.py``'s.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from allocation.models import EntryStatus, Offer, OfferStatus, WaitlistEntry
from allocation.selectors import entry_view
from allocation.services import waitlist_leave
from booking.models import Channel, Pool
from tests import factories
from tests.allocation.conftest import person
from tests.helpers.api_clients import token_client
from tests.helpers.joins import WAITLIST, entry_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def four_weeks(settings):
    settings.WAITLIST_ESTIMATE_WEEKS = 4


@pytest.fixture
def slot(site, procedure):
    """The slot the seats given out were of (which one does not matter)."""
    return factories.SlotFactory(site=site, procedure=procedure, pool=Pool.QUEUE, capacity=500)


def _offers(procedure, slot, count, *, status=OfferStatus.ACCEPTED, answered_at=None):
    """``count`` offers of ``slot`` answered at ``answered_at`` (default: over
    the last 27 days, one a day in turn), each to a person whose entry they ended."""
    now = timezone.now()
    applicants = [factories.ApplicantFactory(user=None) for _ in range(count)]
    entries = WaitlistEntry.objects.bulk_create(
        WaitlistEntry(
            applicant=applicant,
            procedure=procedure,
            identity_key=applicant.identity_key,
            site_ids=[slot.site_id],
            status=EntryStatus.SERVED if status == OfferStatus.ACCEPTED else EntryStatus.LEFT,
            channel=Channel.WEB,
        )
        for applicant in applicants
    )
    moments = [answered_at or now - timedelta(days=1 + n % 27) for n in range(count)]
    Offer.objects.bulk_create(
        Offer(
            entry=entry,
            applicant_id=entry.applicant_id,
            procedure=procedure,
            slot=slot,
            status=status,
            created_at=moment - timedelta(hours=2),
            expires_at=moment + timedelta(hours=22),
            answered_at=moment,
        )
        for entry, moment in zip(entries, moments, strict=True)
    )


def _waiting(procedure, site, count):
    """``count`` people joined the list, in turn."""
    return [entry_of(person(), procedure, site) for _ in range(count)]


def _estimate(entry, **kwargs):
    view = entry_view(entry, **kwargs)
    return view.position, view.weeks_estimate


def test_the_estimate_is_the_place_over_the_seats_given_out_per_week(site, procedure, slot):
    """40 seats given out by the list in the last 4 weeks: 10 a week; the
    30th person waits about 3 weeks, and sees it on their entry. Nothing else
    is capacity given out: seats given out before the window, offers declined
    or let expire, another list's seats (each of these alone would raise the
    pace and make it 2 weeks)."""
    _offers(procedure, slot, 40)
    _offers(procedure, slot, 15, answered_at=timezone.now() - timedelta(weeks=5))
    _offers(procedure, slot, 10, status=OfferStatus.DECLINED)
    _offers(procedure, slot, 10, status=OfferStatus.EXPIRED)
    other = factories.ProcedureFactory()
    _offers(other, factories.SlotFactory(procedure=other, pool=Pool.QUEUE), 10)
    *_ahead, entry = _waiting(procedure, site, 30)

    assert _estimate(entry) == (30, 3)
    body = token_client(entry.applicant.user).get(f"{WAITLIST}{entry.pk}/").json()
    assert (body["position"], body["weeks_estimate"]) == (30, 3)


def test_the_estimate_follows_the_place_as_people_ahead_leave(site, procedure, slot):
    """8 seats in 4 weeks: 2 a week. The 6th person waits about 3 weeks; two
    people ahead leave: 4th, about 2 weeks; three more go: 1st, about a week
    (never "0 weeks": the next seat may take a week to come)."""
    _offers(procedure, slot, 8)
    *ahead, entry = _waiting(procedure, site, 6)
    assert _estimate(entry) == (6, 3)

    for left in ahead[:2]:
        waitlist_leave(actor=left.applicant.user, entry=left.pk)
    assert _estimate(entry) == (4, 2)

    for left in ahead[2:]:
        waitlist_leave(actor=left.applicant.user, entry=left.pk)
    assert _estimate(entry) == (1, 1)


def test_the_estimate_follows_the_pace_of_the_recent_weeks(site, procedure, slot):
    """The same place, a different pace: 8 seats in 4 weeks (2 a week), the
    8th person waits about 4 weeks; 8 more given out (4 a week): about 2; four
    weeks later only the most recent of them still count, and later still
    none: no figure."""
    now = timezone.now()
    _offers(procedure, slot, 8, answered_at=now - timedelta(days=20))
    *_ahead, entry = _waiting(procedure, site, 8)
    assert _estimate(entry, now=now) == (8, 4)

    _offers(procedure, slot, 8, answered_at=now - timedelta(days=3))
    assert _estimate(entry, now=now) == (8, 2)

    # 23 days on, the first 8 are 43 days old: out of the window.
    assert _estimate(entry, now=now + timedelta(days=23)) == (8, 4)
    # 30 days on, none is left: no honest figure.
    assert _estimate(entry, now=now + timedelta(days=30)) == (8, None)


def test_the_window_of_recent_weeks_is_the_setting(settings, site, procedure, slot):
    """12 seats in 4 weeks: 3 a week, the 8th person waits about 3 weeks. Over
    2 weeks, the 8 seats of 20 days ago no longer count and the 4 of the last
    3 days make 2 a week: about 4 weeks."""
    now = timezone.now()
    _offers(procedure, slot, 8, answered_at=now - timedelta(days=20))
    _offers(procedure, slot, 4, answered_at=now - timedelta(days=3))
    *_ahead, entry = _waiting(procedure, site, 8)
    assert _estimate(entry, now=now) == (8, 3)

    settings.WAITLIST_ESTIMATE_WEEKS = 2
    assert _estimate(entry, now=now) == (8, 4)


def test_a_part_of_a_week_counts_as_a_week(site, procedure, slot):
    """At 10 seats a week, the 25th person is served in the third week: the
    estimate says 3, not 2.5 rounded down to 2."""
    _offers(procedure, slot, 40)
    *_ahead, entry = _waiting(procedure, site, 25)

    assert _estimate(entry) == (25, 3)
