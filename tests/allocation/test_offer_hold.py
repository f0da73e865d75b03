"""How long an offer holds its seat, through the real allocation: the setting
``OFFER_HOLD_HOURS`` from the moment of the offer, cut short at the moment the
slot closes to online booking (its cut-off), and no offer at all of a slot too
near to leave the person ``OFFER_MIN_HOLD_MINUTES`` to answer. The messages say
until when, in Paris time, and that moment is the offer's own, not the start's.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import dateformat, timezone, translation

from allocation.models import Offer, OfferStatus
from allocation.services import offers_allocate
from notifications.models import Message, MessageChannel
from tests import factories
from tests.allocation.conftest import queue_slot
from tests.helpers.inbox import sent_text
from tests.helpers.joins import entry_of
from tests.helpers.offer_links import offer_link_route

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def _closes_at(slot, procedure):
    """When ``slot`` closes to online booking: its start less the procedure's cut-off."""
    return slot.starts_at - timedelta(hours=procedure.cutoff_hours)


def test_a_far_slot_is_held_for_the_hours_the_setting_says_from_the_offer(
    settings, site, procedure, people
):
    """Far from its start, the seat is held exactly ``OFFER_HOLD_HOURS`` from
    the offer's moment, read at each run: the setting changed, the next offer
    holds for the new figure (and what is stored is what the run said)."""
    settings.OFFER_HOLD_HOURS = 24
    entry_of(people[0], procedure, site)
    queue_slot(site, procedure, days=5)
    now = timezone.now()

    [offer] = offers_allocate(procedure_id=procedure.pk, now=now)

    assert offer.expires_at == now + timedelta(hours=24)

    settings.OFFER_HOLD_HOURS = 6
    entry_of(people[1], procedure, site)
    queue_slot(site, procedure, days=6)
    later = timezone.now()

    [second] = offers_allocate(procedure_id=procedure.pk, now=later)

    assert second.expires_at == later + timedelta(hours=6)
    stored = dict(Offer.objects.values_list("pk", "expires_at"))
    assert stored == {offer.pk: now + timedelta(hours=24), second.pk: later + timedelta(hours=6)}


def test_a_slot_closing_sooner_is_held_only_until_its_online_cut_off(site, procedure, people):
    """A slot whose online booking closes before the hold would end is held
    until that cut-off, the procedure's own (here 5 hours before the start):
    after it, nobody could book the seat online anyway. A far slot of the same
    run keeps the full hold."""
    procedure.cutoff_hours = 5
    procedure.save()
    now = timezone.now()
    near = queue_slot(site, procedure, starts_at=now + timedelta(hours=12))
    far = queue_slot(site, procedure, starts_at=now + timedelta(days=3))
    first, second = entry_of(people[0], procedure, site), entry_of(people[1], procedure, site)

    offers = offers_allocate(procedure_id=procedure.pk, now=now)

    held = {(o.entry_id, o.slot_id): o.expires_at for o in offers}
    assert held == {
        (first.pk, near.pk): now + timedelta(hours=7),
        (second.pk, far.pk): now + timedelta(hours=24),
    }
    assert held[(first.pk, near.pk)] == _closes_at(near, procedure)


def test_a_slot_too_near_to_leave_time_to_answer_is_never_offered(
    settings, site, procedure, people
):
    """An offer must leave ``OFFER_MIN_HOLD_MINUTES`` to answer before the slot
    closes online: a slot closing a minute short of that is not offered, though
    it comes first and is free; one closing a minute beyond it is, held until
    its cut-off. The setting decides (180 here, not the default 120)."""
    settings.OFFER_MIN_HOLD_MINUTES = 180
    cutoff = timedelta(hours=procedure.cutoff_hours)
    now = timezone.now()
    too_near = queue_slot(site, procedure, starts_at=now + cutoff + timedelta(minutes=179))
    beyond = queue_slot(site, procedure, starts_at=now + cutoff + timedelta(minutes=181))
    first, _second = entry_of(people[0], procedure, site), entry_of(people[1], procedure, site)

    [offer] = offers_allocate(procedure_id=procedure.pk, now=now)

    assert (offer.entry_id, offer.slot_id) == (first.pk, beyond.pk)
    assert offer.expires_at == now + timedelta(minutes=181) == _closes_at(beyond, procedure)
    too_near.refresh_from_db()
    assert too_near.held == 0
    assert not Offer.objects.filter(slot=too_near).exists()
    # Still too near at the next run: the second person waits for another seat.
    assert offers_allocate(procedure_id=procedure.pk, now=now) == []


def test_the_offer_s_messages_say_until_when_in_paris_time(settings, site, procedure):
    """The SMS and the e-mail state the moment the seat is held until, as the
    Paris clock shows it. The slot starts 10 hours away and closes 2 hours
    before: the hold ends 2 hours before the start, so a message that gave the
    start's time, or UTC, instead of the hold's would not pass."""
    offer_link_route(settings)
    settings.NOTIFICATIONS_QUIET_HOURS = (24, 0)
    applicant = factories.ApplicantFactory(user=factories.UserFactory(), preferred_language="en")
    entry_of(applicant, procedure, site)
    now = timezone.now()
    slot = queue_slot(site, procedure, starts_at=now + timedelta(hours=10))

    [offer] = offers_allocate(procedure_id=procedure.pk, now=now)

    until = offer.expires_at.astimezone(PARIS)
    assert until == _closes_at(slot, procedure)
    assert offer.status == OfferStatus.OPEN
    messages = {m.channel: sent_text(m) for m in Message.objects.filter(template_key="offer_made")}
    with translation.override("en"):
        day = dateformat.format(until, "l j F Y")
    assert f"Held for you until {until:%d/%m} at {until:%H:%M}." in messages[MessageChannel.SMS]
    assert (
        f"This time is held for you until {day} at {until:%H:%M}." in messages[MessageChannel.EMAIL]
    )
