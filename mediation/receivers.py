"""Mediation's answer when staff act for someone (``booking.signals.acting_for``).

A mediator acts for a person only with the person's valid consent, given to
the mediator's access point for booking (which covers cancelling and moving):
``ConsentRequired`` otherwise. A booking also takes one unit of the day's caps
(``mediation.services.caps``) and records on the appointment the access point
and whether it was made outside the point's opening periods. The consent's id
goes into the action's audit row: every action shows the consent it relied on.
A walk-in registered at a point is written to only on the channels a consent
in force covers (``walk_in_contacts_withheld``).
The same holds on the waiting list (``allocation.signals.acting_for_entry``):
joining, leaving, resuming or declining an offer for someone needs their
consent for the waiting list (``mediator_acting_for_entry``).
Agents and supervisors act under their own rules (``booking.permissions``).
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from accounts.models import Role, User
from allocation import signals as allocation_signals
from allocation.models import WaitlistEntry
from booking import signals
from booking.errors import NotAllowed
from booking.models import Applicant, Appointment, Slot
from mediation import selectors
from mediation.errors import ConsentRequired
from mediation.models import Consent, ConsentPurpose
from mediation.services.caps import daily_caps_claim


def _consent_held(
    *,
    applicant: Applicant,
    access_point_id: int,
    now: datetime,
    purpose: str = ConsentPurpose.BOOKING,
) -> Consent | None:
    """The newest valid consent for ``purpose`` (``selectors.consent_valid``'s rule),
    its row locked against a withdrawal until the action commits; one committed
    first is seen (the row no longer matches once re-read)."""
    return (
        Consent.objects.select_for_update(no_key=True)
        .filter(
            applicant_id=applicant.pk,
            access_point_id=access_point_id,
            purposes__contains=[purpose],
            withdrawn_at__isnull=True,
            valid_until__gte=timezone.localdate(now),
        )
        .order_by("-given_at", "-pk")
        .first()
    )


def mediator_acting(
    sender,
    *,
    actor: User,
    applicant: Applicant,
    appointment: Appointment,
    slot: Slot,
    event: str,
    now: datetime,
    **kwargs,
) -> dict | None:
    if actor.role != Role.MEDIATOR:
        return None
    point = actor.access_point_id
    if point is None:  # booking.permissions refused already
        raise NotAllowed()
    consent = _consent_held(applicant=applicant, access_point_id=point, now=now)
    if consent is None:
        raise ConsentRequired()
    details: dict = {"access_point": point, "consent": consent.pk}
    if event == signals.BOOKED:
        daily_caps_claim(mediator=actor, access_point_id=point, day=timezone.localdate(now))
        outside = selectors.is_outside_opening_hours(access_point_id=point, at=now)
        appointment.access_point_id = point
        appointment.outside_opening_hours = outside
        details["outside_opening_hours"] = outside
    return details


def mediator_acting_for_entry(
    sender, *, actor: User, applicant: Applicant, event: str, now: datetime, **kwargs
) -> dict | None:
    """A mediator joins, leaves, resumes or declines an offer on the waiting list
    for ``applicant`` (``allocation.signals.acting_for_entry``): only with the
    person's valid consent for the waiting list, given to the mediator's point
    (``ConsentRequired`` otherwise). The point and the consent go into the audit
    row, and the point onto the entry when it joins. Accepting an offer books:
    ``mediator_acting`` asks for the booking consent and the daily caps then."""
    if actor.role != Role.MEDIATOR:
        return None
    point = actor.access_point_id
    if point is None:
        raise NotAllowed()
    consent = _consent_held(
        applicant=applicant,
        access_point_id=point,
        now=now,
        purpose=ConsentPurpose.WAITING_LIST,
    )
    if consent is None:
        raise ConsentRequired()
    return {"access_point": point, "consent": consent.pk}


# The channel of a walk-in's typed contact (booking.signals) each purpose covers.
_CONTACT_CHANNELS = {ConsentPurpose.CONTACT_SMS: "sms", ConsentPurpose.CONTACT_EMAIL: "email"}


def walk_in_contacts_withheld(
    sender, *, applicants: list[Applicant], now: datetime, **kwargs
) -> set[tuple[int, str]]:
    """A walk-in a mediator registered at a point gave their phone and e-mail
    there: they are written to only while a consent in force (to any point)
    covers contact by SMS or by e-mail. The consent form records it; once
    withdrawn or expired, messages stop (those already owed still go)."""
    registered = {applicant.pk for applicant in applicants if applicant.access_point_id}
    if not registered:
        return set()
    consented = selectors.contact_channels_consented(registered, now=now)
    return {
        (applicant_id, channel)
        for applicant_id in registered
        for purpose, channel in _CONTACT_CHANNELS.items()
        if purpose not in consented.get(applicant_id, ())
    }


def connect() -> None:
    allocation_signals.acting_for_entry.connect(
        mediator_acting_for_entry,
        sender=WaitlistEntry,
        dispatch_uid="mediation.mediator_acting_for_entry",
    )
    signals.acting_for.connect(
        mediator_acting, sender=Appointment, dispatch_uid="mediation.mediator_acting"
    )
    signals.walk_in_contacts_withheld.connect(
        walk_in_contacts_withheld,
        sender=Applicant,
        dispatch_uid="mediation.walk_in_contacts_withheld",
    )
