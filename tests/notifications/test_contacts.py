"""Where messages go: an account's confirmed contacts only; a walk-in's, typed by
staff, mobiles of the allowed regions; and never more SMS a day than the budget."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.errors import InvalidPhone, PhoneRegionNotAllowed
from booking import services as booking
from booking.forms import WalkInIdentityForm
from booking.models import Applicant
from notifications import services
from notifications.models import Message, MessageChannel, MessageStatus, SmsDailyCount
from tests import factories
from tests.auth import login

THIRD_PARTY = "+33698765432"


def test_a_booking_goes_to_the_accounts_confirmed_contacts_not_the_identitys(
    slot, twilio, settings
):
    # An identity recorded before this rule, with someone else's phone and address.
    applicant = factories.ApplicantFactory(phone=THIRD_PARTY, email="third.party@example.test")
    user = applicant.user

    appointment = booking.appointment_book(actor=user, applicant=applicant, slot_id=slot.pk)
    owed = Message.objects.filter(appointment=appointment)
    for message in owed:
        services.message_send(message_id=message.pk)

    assert dict(owed.values_list("channel", "destination")) == {
        MessageChannel.SMS: user.phone,
        MessageChannel.EMAIL: user.email,
    }
    assert [sms["to"] for sms in twilio.sent] == [user.phone]


def test_an_unconfirmed_account_phone_gets_no_message(slot, settings):
    applicant = factories.ApplicantFactory(phone=THIRD_PARTY)
    user = applicant.user
    appointment = booking.appointment_book(actor=user, applicant=applicant, slot_id=slot.pk)
    # The account's phone is no longer confirmed (a number being changed, say).
    type(user).objects.filter(pk=user.pk).update(phone_verified_at=None)

    services.reminders_create(now=slot.starts_at - timedelta(days=1))

    reminders = Message.objects.filter(appointment=appointment, template_key=services.REMINDER)
    assert list(reminders.values_list("channel", "destination")) == [
        (MessageChannel.EMAIL, user.email)
    ]


def test_sms_alerts_need_the_accounts_confirmed_phone(client, procedure, site):
    user = factories.UserFactory(phone_verified_at=None)
    factories.ApplicantFactory(user=user, phone=THIRD_PARTY)
    login(client, user)

    response = client.post(
        reverse("notifications:alert_subscribe", args=[procedure.slug]),
        {"consent": "yes", "sites": [site.pk], "channels": "sms"},
        follow=True,
    )

    assert "numéro de mobile confirmé" in response.content.decode()  # the account is in French
    assert not user.applicant.alert_subscriptions.exists()


def test_the_applicants_identity_form_has_no_contact_fields(db, client):
    user = factories.UserFactory()
    login(client, user)

    page = client.get(reverse("booking:identity")).content.decode()
    client.post(
        reverse("booking:identity"),
        {
            "surname": "Traoré",
            "given_names": "Moussa",
            "birth_date": "17/05/1990",
            "nationality": "ML",
            "document_type": "agdref",
            "document_number": "9312345678",
            "phone": THIRD_PARTY,
            "email": "third.party@example.test",
            "certify": "on",
        },
    )

    assert 'name="phone"' not in page and 'name="email"' not in page
    assert "confirmés dans votre compte" in page  # the account is in French
    applicant = Applicant.objects.get(user=user)
    assert (applicant.phone, applicant.email) == ("", "")


def _walk_in(agent, phone: str, email: str = "") -> Applicant:
    return booking.applicant_create(
        actor=agent,
        user=None,
        identity=factories.identity(
            surname="Camara",
            given_names="Fatou",
            birth_date=timezone.localdate().replace(year=1985),
            document_number="9311111111",
        ),
        phone=phone,
        email=email,
    )


@pytest.mark.parametrize(
    ("number", "error"),
    [
        ("08 99 12 34 56", InvalidPhone),  # premium rate
        ("+33 8 99 12 34 56", InvalidPhone),
        ("01 45 67 89 01", InvalidPhone),  # landline
        ("+49 151 12345678", PhoneRegionNotAllowed),  # a German mobile
        ("+44 7911 123456", PhoneRegionNotAllowed),
        ("3665", InvalidPhone),  # a short code
    ],
)
def test_staff_cannot_type_a_premium_foreign_or_landline_number(agent, number, error):
    with pytest.raises(error):
        _walk_in(agent, number)

    form = WalkInIdentityForm({"phone": number})
    assert not form.is_valid()
    [message] = form.errors["phone"]
    assert "mobile" in message and ("France" in message or "valid" in message)
    assert not Applicant.objects.exists()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("0690 12 34 56", "+590690123456"),  # Guadeloupe, typed without its code
        ("+262 692 12 34 56", "+262692123456"),  # La Réunion
        ("+687 75 12 34", "+687751234"),  # New Caledonia
    ],
)
def test_staff_may_type_a_mobile_of_france_or_overseas(agent, typed, stored):
    walk_in = _walk_in(agent, typed, email="fatou@example.test")

    assert (walk_in.phone, walk_in.email) == (stored, "fatou@example.test")
    assert services.applicant_contacts(applicant=walk_in) == [
        (MessageChannel.SMS, stored),
        (MessageChannel.EMAIL, "fatou@example.test"),
    ]


def test_the_allowed_regions_are_a_setting(agent, settings):
    settings.CONTACT_PHONE_REGIONS = ["FR", "DE"]

    assert _walk_in(agent, "+49 151 12345678").phone == "+4915112345678"


def test_an_accounts_identity_takes_no_typed_contacts(applicant_user):
    user = factories.UserFactory()
    with pytest.raises(ValueError):
        booking.applicant_create(
            actor=user,
            user=user,
            identity=factories.identity(
                surname="Camara",
                given_names="Fatou",
                birth_date=timezone.localdate().replace(year=1985),
                document_number="9311111112",
            ),
            phone=THIRD_PARTY,
        )


def test_admin_refuses_a_premium_number_for_a_walk_in_and_leaves_accounts_alone(
    admin_client, applicant
):
    walk_in = factories.ApplicantFactory(user=None, email="")
    change = "admin:booking_applicant_change"

    refused = admin_client.post(
        reverse(change, args=[walk_in.pk]),
        {"email": "", "phone": "0899123456", "preferred_language": "fr", "_save": "Save"},
    )
    admin_client.post(
        reverse(change, args=[applicant.pk]),
        {"email": "x@example.test", "phone": THIRD_PARTY, "preferred_language": "fr"},
    )

    assert refused.status_code == 200
    assert "Saisissez un numéro de téléphone mobile valide" in refused.content.decode()
    assert Applicant.objects.get(pk=walk_in.pk).phone == walk_in.phone
    applicant.refresh_from_db()
    assert applicant.phone != THIRD_PARTY and applicant.email != "x@example.test"


# --- The daily SMS budget ------------------------------------------------------------


def _owed_sms(n: int, *, due, essential=True, key="appointment_booked") -> list[Message]:
    return Message.objects.bulk_create(
        [
            Message(
                channel=MessageChannel.SMS,
                template_key=key,
                essential=essential,
                destination=f"+3361234{i:04d}",
                text=f"Guichet : message {i}",
                idempotency_key=f"budget-test:{key}:{essential}:{i}",
                next_attempt_at=due,
                created_at=due,
            )
            for i in range(n)
        ]
    )


def test_sms_past_the_daily_budget_wait_for_the_next_day(db, twilio, settings, caplog):
    settings.SMS_DAILY_BUDGET = 2
    day = timezone.now() - timedelta(days=2)
    owed = _owed_sms(4, due=day - timedelta(hours=1))

    with caplog.at_level(logging.ERROR, logger="notifications.services"):
        outcomes = [services.message_send(message_id=m.pk, now=day).status for m in owed]

    assert outcomes == ["sent", "sent", "held", "held"]
    assert len(twilio.sent) == 2
    held = Message.objects.filter(status=MessageStatus.PENDING).order_by("pk")
    assert held.count() == 2  # owed still, not dropped
    assert {m.attempts for m in held} == {0}
    # The next day, once the quiet hours are over: nobody is woken at midnight.
    morning = (day.astimezone(services.PARIS) + timedelta(days=1)).replace(
        hour=8, minute=0, second=0, microsecond=0
    )
    assert {m.next_attempt_at for m in held} == {morning}
    budget_alerts = [r for r in caplog.records if "SMS budget" in r.getMessage()]
    assert len(budget_alerts) == 1  # once a day, not once per SMS

    # The day has rolled over: the sweep hands them over and they go.
    services.messages_sweep(now=timezone.now() + timedelta(minutes=5))

    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}
    assert len(twilio.sent) == 4


def test_past_the_budget_alerts_are_dropped_and_codes_still_go(db, twilio, settings):
    """Alerts must not spend the next day's budget; an SMS code held until the
    next day would have expired, so codes are bounded by their own limits."""
    settings.SMS_DAILY_BUDGET = 1
    now = timezone.now()
    first, alert = (
        _owed_sms(1, due=now)[0],
        _owed_sms(1, due=now, essential=False, key="new_slots")[0],
    )
    codes = _owed_sms(2, due=now, key="phone_code")
    Message.objects.filter(pk__in=[c.pk for c in codes]).update(text="Guichet : code 123456")

    outcomes = [
        services.message_send(message_id=m.pk, now=now).status for m in (first, alert, *codes)
    ]

    assert outcomes == ["sent", "failed", "sent", "sent"]
    alert.refresh_from_db()
    assert (alert.status, alert.last_error) == (MessageStatus.FAILED, "daily SMS budget reached")


def test_an_sms_the_provider_refused_gives_its_unit_back(db, twilio, settings):
    settings.SMS_DAILY_BUDGET = 1
    now = timezone.now()
    refused, second = _owed_sms(2, due=now)
    twilio.fail_next(400, code=21211, message="invalid number")

    assert services.message_send(message_id=refused.pk, now=now).status == "failed"
    assert services.message_send(message_id=second.pk, now=now).status == "sent"


@pytest.mark.django_db(transaction=True)
def test_workers_at_once_never_pass_the_budget(twilio, settings):
    settings.SMS_DAILY_BUDGET = 5
    now = timezone.now()
    owed = [m.pk for m in _owed_sms(24, due=now)]
    start = threading.Barrier(6)

    def worker(ids):
        try:
            start.wait()
            for pk in ids:
                services.message_send(message_id=pk, now=now)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(owed[i::6],)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Message.objects.filter(status=MessageStatus.SENT).count() == 5
    assert Message.objects.filter(status=MessageStatus.PENDING).count() == 19
    assert len(twilio.sent) == 5
    assert SmsDailyCount.objects.get().sent == 5
