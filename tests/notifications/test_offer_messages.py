"""The waiting list's messages, end to end: an allocation that makes an offer
owes the person an SMS (through the real twilio SDK, to the fake Twilio
server) and an e-mail (over SMTP, to aiosmtpd), in their language, saying until
when the seat is held, with the link that answers the offer; the link is never
stored. An offer no longer open is not sent; the prefecture's withdrawal and a
pause are told; owing the offers costs the same queries for 1 and 200 of them.
"""

from __future__ import annotations

import email
import re
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext

from accounts.messages import message_subject_shown, message_text_shown
from allocation.links import offer_from_token, offer_token
from allocation.models import EntryStatus, Offer, OfferStatus
from allocation.services import offers_allocate, offers_expire_due, waitlist_join
from booking.models import AllocationMode, AllocationPolicy
from booking.services import appointment_book, closure_create
from notifications import services
from notifications.models import Message, MessageChannel, MessageStatus
from notifications.services.common import PARIS
from tests import factories
from tests.allocation.conftest import queue_slot
from tests.helpers.offer_links import offer_link_route

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https://guichet\.example\.org/\S+?/(\d+-[0-9a-f]{32})/")
NEUTRAL = "An offer of an appointment (its link is not kept)"


@pytest.fixture(autouse=True)
def offer_links(settings):
    offer_link_route(settings)


@pytest.fixture(autouse=True)
def daytime(settings):
    """No quiet hours: the SMS goes at once whatever the hour the tests run."""
    settings.NOTIFICATIONS_QUIET_HOURS = (24, 0)


@pytest.fixture
def site(db):
    return factories.SiteFactory()


@pytest.fixture
def procedure(db):
    procedure = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
    return procedure


def _account_holder(language: str = "en"):
    return factories.ApplicantFactory(user=factories.UserFactory(), preferred_language=language)


def _joined(applicant, procedure, site, actor=None):
    return waitlist_join(
        actor=actor or applicant.user,
        applicant=applicant,
        procedure=procedure,
        site_ids=[site.pk],
    )


def _allocate(procedure, capture, *, send: bool = True) -> list[Offer]:
    """The allocation, its commit's callbacks run (``send``: the messages go)."""
    with capture(execute=send):
        return offers_allocate(procedure_id=procedure.pk)


def _email(inbox_message) -> tuple[str, str, str]:
    """The subject, the text part and the HTML part of a received e-mail."""
    parsed = email.message_from_bytes(inbox_message["data"])
    subject = str(email.header.make_header(email.header.decode_header(parsed["Subject"])))
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in parsed.walk()
        if part.get_content_type() in ("text/plain", "text/html")
    }
    return subject, parts["text/plain"], parts["text/html"]


def _local(moment, fmt: str, language: str) -> str:
    with translation.override(language):
        return dateformat.format(timezone.localtime(moment), fmt)


# --- The offer ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_an_offer_goes_by_sms_and_e_mail_in_the_person_s_language_with_its_link(
    language, site, procedure, twilio, smtp, django_capture_on_commit_callbacks
):
    person = _account_holder(language)
    _joined(person, procedure, site)
    queue_slot(site, procedure)

    [offer] = _allocate(procedure, django_capture_on_commit_callbacks)

    # The SMS, through the twilio SDK: the link answers this offer, the hold's end said.
    [sms] = twilio.sent
    assert sms["to"] == person.user.phone
    [token] = LINK.findall(sms["body"])
    assert offer_from_token(token).pk == offer.pk
    assert _local(offer.expires_at, "d/m", language) in sms["body"]
    assert _local(offer.expires_at, "H:i", language) in sms["body"]
    # The e-mail, over SMTP, in the person's language.
    [received] = smtp.messages
    assert received["to"] == [person.user.email]
    subject, text, html = _email(received)
    with translation.override(language):
        hello = gettext("Hello,")
    assert hello in text and hello in html
    rtl = 'dir="rtl"' in html
    assert f'lang="{language}"' in html and rtl == (language == "ar")
    assert [offer_from_token(t).pk for t in LINK.findall(text)] == [offer.pk]
    assert _local(offer.expires_at, "l j F Y", language) in text
    assert procedure.name in subject
    # Both rows were rendered at the send, in the person's language.
    rows = Message.objects.filter(template_key="offer_made", applicant=person)
    assert {(m.channel, m.language, m.status) for m in rows} == {
        (MessageChannel.SMS, language, MessageStatus.SENT),
        (MessageChannel.EMAIL, language, MessageStatus.SENT),
    }


def test_the_outbox_keeps_no_link_and_pages_show_a_neutral_text(
    site, procedure, twilio, smtp, django_capture_on_commit_callbacks
):
    person = _account_holder()
    _joined(person, procedure, site)
    queue_slot(site, procedure)

    [offer] = _allocate(procedure, django_capture_on_commit_callbacks)

    token = offer_token(offer)
    assert token in twilio.sent[0]["body"]
    rows = list(Message.objects.filter(template_key="offer_made"))
    assert len(rows) == 2
    for row in rows:
        assert (row.text, row.html) == ("", "")
        stored = " ".join([row.subject, row.text, row.html, str(row.context), row.last_error])
        assert token not in stored and token.split("-")[1] not in stored
        assert row.context == {"offer": offer.pk}
        with translation.override("en"):
            assert message_text_shown(row) == NEUTRAL
            assert message_subject_shown(row) == NEUTRAL


def test_a_walk_in_without_sms_consent_gets_the_e_mail_only(
    site, procedure, twilio, smtp, django_capture_on_commit_callbacks
):
    mediator = factories.MediatorFactory()
    walk_in = factories.ApplicantFactory(
        user=None,
        access_point=mediator.access_point,
        phone="+33612345678",
        email="walk.in@example.test",
        preferred_language="en",
    )
    factories.ConsentFactory(
        applicant=walk_in,
        mediator=mediator,
        purposes=["booking", "waiting_list", "contact_email"],
    )
    _joined(walk_in, procedure, site, actor=mediator)
    queue_slot(site, procedure)

    [offer] = _allocate(procedure, django_capture_on_commit_callbacks)

    assert twilio.posts() == 0
    [received] = smtp.messages
    assert received["to"] == ["walk.in@example.test"]
    _subject, text, _html = _email(received)
    assert [offer_from_token(t).pk for t in LINK.findall(text)] == [offer.pk]
    # Nothing about the account to someone who has none.
    assert "your account" not in text
    assert not Message.objects.filter(channel=MessageChannel.SMS).exists()


def test_an_offer_withdrawn_before_its_message_goes_is_not_sent(
    site, procedure, twilio, smtp, django_capture_on_commit_callbacks
):
    supervisor = factories.UserFactory(role="supervisor")
    person = _account_holder()
    _joined(person, procedure, site)
    slot = queue_slot(site, procedure)
    [offer] = _allocate(procedure, django_capture_on_commit_callbacks, send=False)

    with django_capture_on_commit_callbacks(execute=True):
        closure_create(
            actor=supervisor,
            site=site,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            kind="strike",
            reason="Grève",
        )
    offered = Message.objects.filter(template_key="offer_made").values_list("pk", flat=True)
    outcomes = [services.message_send(message_id=pk) for pk in offered]

    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert all("no longer valid" in o.detail for o in outcomes)
    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.WITHDRAWN
    # What went is the withdrawal, not the link.
    assert not LINK.findall(" ".join(s["body"] for s in twilio.sent))
    assert {m.template_key for m in Message.objects.filter(status=MessageStatus.SENT)} == {
        "offer_withdrawn"
    }


def test_an_offer_past_its_moment_is_not_sent(
    site, procedure, twilio, smtp, django_capture_on_commit_callbacks
):
    person = _account_holder()
    _joined(person, procedure, site)
    queue_slot(site, procedure)
    [offer] = _allocate(procedure, django_capture_on_commit_callbacks, send=False)
    Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    outcomes = {
        services.message_send(message_id=pk).status
        for pk in Message.objects.values_list("pk", flat=True)
    }

    assert outcomes == {"failed"}
    assert twilio.posts() == 0 and smtp.messages == []


# --- The withdrawal and the pause ---------------------------------------------------------


def test_the_prefecture_s_withdrawal_is_told_and_the_place_kept(
    site, procedure, twilio, smtp, django_capture_on_commit_callbacks
):
    supervisor = factories.UserFactory(role="supervisor")
    person = _account_holder()
    entry = _joined(person, procedure, site)
    slot = queue_slot(site, procedure)
    _allocate(procedure, django_capture_on_commit_callbacks)
    twilio.sent.clear()
    smtp.messages.clear()

    with django_capture_on_commit_callbacks(execute=True):
        closure_create(
            actor=supervisor,
            site=site,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            kind="strike",
            reason="Grève",
        )

    [sms] = twilio.sent
    assert "withdrew the time offered to you" in sms["body"]
    assert "You keep your place on the waiting list" in sms["body"]
    [received] = smtp.messages
    subject, text, _html = _email(received)
    assert subject == "The appointment offered to you is withdrawn"
    assert "You keep your place on the waiting list" in text
    assert _local(slot.starts_at, "H:i", "en") in text
    entry.refresh_from_db()
    assert entry.status == EntryStatus.WAITING
    # No link in a withdrawal: its text is stored like any other.
    assert not LINK.findall(text)
    assert Message.objects.get(template_key="offer_withdrawn", channel="sms").text == sms["body"]


def test_leaving_the_list_is_not_told_as_a_withdrawal(
    site, procedure, twilio, smtp, django_capture_on_commit_callbacks
):
    from allocation.services import waitlist_leave

    person = _account_holder()
    entry = _joined(person, procedure, site)
    queue_slot(site, procedure)
    _allocate(procedure, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        waitlist_leave(actor=person.user, entry=entry.pk)

    assert not Message.objects.filter(template_key="offer_withdrawn").exists()


@pytest.mark.parametrize("has_account", [True, False])
def test_a_paused_entry_is_told_how_to_confirm(
    has_account, settings, site, procedure, twilio, smtp, django_capture_on_commit_callbacks
):
    settings.WAITLIST_PAUSE_AFTER_EXPIRIES = 1
    if has_account:
        person, actor = _account_holder(), None
    else:
        mediator = factories.MediatorFactory()
        person = factories.ApplicantFactory(
            user=None,
            access_point=mediator.access_point,
            phone="+33612345678",
            email="walk.in@example.test",
            preferred_language="en",
        )
        factories.ConsentFactory(applicant=person, mediator=mediator)
        actor = mediator
    entry = _joined(person, procedure, site, actor=actor)
    queue_slot(site, procedure)
    [offer] = _allocate(procedure, django_capture_on_commit_callbacks, send=False)
    Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert offers_expire_due() == 1

    entry.refresh_from_db()
    assert entry.status == EntryStatus.PAUSED
    paused = Message.objects.filter(template_key="waitlist_paused")
    assert {(m.channel, m.status) for m in paused} == {("sms", "sent"), ("email", "sent")}
    [sms] = [s for s in twilio.sent if "paused" in s["body"]]
    assert "at an access point" in sms["body"]
    assert ("in your account" in sms["body"]) == has_account
    [received] = [m for m in smtp.messages if "paused" in _email(m)[0]]
    _subject, text, _html = _email(received)
    assert "You keep your place" in text and "access point" in text
    assert ("https://guichet.example.org/accounts/me/" in text) == has_account
    assert not LINK.findall(text)


@pytest.mark.parametrize("has_account", [True, False])
def test_a_person_a_closure_puts_back_on_the_list_is_told(
    has_account, site, procedure, twilio, smtp, django_capture_on_commit_callbacks
):
    agent = factories.AgentFactory(sites=[site])
    supervisor = factories.UserFactory(role="supervisor")
    if has_account:
        person = _account_holder()
    else:
        mediator = factories.MediatorFactory()
        person = factories.ApplicantFactory(
            user=None,
            access_point=mediator.access_point,
            phone="+33612345678",
            email="walk.in@example.test",
            preferred_language="en",
        )
        factories.ConsentFactory(applicant=person, mediator=mediator)
    slot = factories.SlotFactory(site=site, procedure=procedure, pool="priority")
    appointment_book(actor=agent, applicant=person, slot_id=slot.pk)
    twilio.sent.clear()
    smtp.messages.clear()

    with django_capture_on_commit_callbacks(execute=True):
        closure_create(
            actor=supervisor,
            site=site,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            kind="strike",
            reason="Grève",
        )

    placed = Message.objects.filter(template_key="waitlist_placed")
    assert {(m.channel, m.status) for m in placed} == {("sms", "sent"), ("email", "sent")}
    [sms] = [s for s in twilio.sent if "back on the waiting list" in s["body"]]
    assert procedure.name in sms["body"] and site.name in sms["body"]
    assert "you may decline it" in sms["body"]
    [received] = [m for m in smtp.messages if "back on the waiting list" in _email(m)[0]]
    _subject, text, html = _email(received)
    assert "ahead of the people without priority" in text and site.name in text
    assert "You may decline it, or leave the list." in text
    assert ("https://guichet.example.org/accounts/me/" in text) == has_account
    assert ("An access point can tell you your place" in text) != has_account
    assert "ahead of the people without priority" in html


# --- The cost of owing ---------------------------------------------------------------------


def _offers_for(people, slot) -> list[Offer]:
    """Offers as the allocation hands them to ``offers_made`` (not saved: the
    messages keep the offer's id only)."""
    expires_at = timezone.now() + timedelta(hours=24)
    return [
        Offer(pk=900_000 + n, applicant_id=p.pk, slot_id=slot.pk, expires_at=expires_at)
        for n, p in enumerate(people)
    ]


def _walk_in(mediator, n: int):
    walk_in = factories.ApplicantFactory(
        user=None,
        access_point=mediator.access_point,
        phone=f"+336{n:08d}",
        email=f"walk.in{n}@example.test",
    )
    factories.ConsentFactory(applicant=walk_in, mediator=mediator)
    return walk_in


def test_owing_offers_costs_the_same_queries_for_1_and_200(site, procedure):
    mediator = factories.MediatorFactory()
    slot = queue_slot(site, procedure)
    one = [_walk_in(mediator, 0)]
    many = [_account_holder() for _ in range(100)] + [_walk_in(mediator, n) for n in range(1, 101)]
    now = timezone.now()

    with CaptureQueriesContext(connection) as for_one:
        services.offers_made_owe(offers=_offers_for(one, slot), now=now)
    Message.objects.all().delete()
    with CaptureQueriesContext(connection) as for_many:
        owed = services.offers_made_owe(offers=_offers_for(many, slot), now=now)

    assert len(owed) == 400  # SMS and e-mail for each
    # The people with their accounts, the walk-ins' consents, one INSERT.
    assert len(for_one.captured_queries) == len(for_many.captured_queries) <= 3, [
        q["sql"][:120] for q in for_many.captured_queries
    ]


# --- The quiet hours ------------------------------------------------------------------------


def test_an_sms_owed_at_night_waits_for_the_morning_unless_the_offer_ends_first(
    settings, site, procedure
):
    settings.NOTIFICATIONS_QUIET_HOURS = (21, 8)
    slot = queue_slot(site, procedure)
    night = datetime(2026, 12, 14, 23, 0, tzinfo=PARIS)
    morning = datetime(2026, 12, 15, 8, 0, tzinfo=PARIS)
    waits, hurries = _account_holder(), _account_holder()
    offers = [
        Offer(
            pk=800_001,
            applicant_id=waits.pk,
            slot_id=slot.pk,
            expires_at=night + timedelta(hours=24),
        ),
        Offer(
            pk=800_002,
            applicant_id=hurries.pk,
            slot_id=slot.pk,
            expires_at=morning + timedelta(hours=1),
        ),
    ]

    services.offers_made_owe(offers=offers, now=night)

    due = {
        (m.applicant_id, m.channel): m.next_attempt_at
        for m in Message.objects.filter(template_key="offer_made")
    }
    assert due == {
        (waits.pk, "sms"): morning,
        (waits.pk, "email"): night,
        (hurries.pk, "sms"): night,
        (hurries.pk, "email"): night,
    }
