"""Where a person's messages go."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

from booking import signals
from booking.models import Applicant
from notifications.models import MessageChannel


def contacts_of(
    *,
    has_account: bool,
    account_phone: str = "",
    phone_confirmed: bool = False,
    account_email: str = "",
    email_confirmed: bool = False,
    walk_in_phone: str = "",
    walk_in_email: str = "",
) -> list[tuple[str, str]]:
    """Where a person's messages go, as ``(channel, destination)`` pairs.

    The identity of an account: the account's phone and e-mail address once
    confirmed, nothing else (contacts nobody confirmed could be a third party's
    or a premium-rate number). A walk-in without an account: the contacts staff
    typed for them, checked when recorded (``booking.services.applicant_create``),
    less those the person did not consent to (``walk_in_contacts_withheld``:
    the caller filters).
    """
    contacts = []
    if has_account:
        if account_phone and phone_confirmed:
            contacts.append((MessageChannel.SMS, account_phone))
        if account_email and email_confirmed:
            contacts.append((MessageChannel.EMAIL, account_email))
        return contacts
    if walk_in_phone:
        contacts.append((MessageChannel.SMS, walk_in_phone))
    if walk_in_email:
        contacts.append((MessageChannel.EMAIL, walk_in_email))
    return contacts


def walk_in_contacts_withheld(
    *, applicants: Iterable[Applicant], now: datetime | None = None
) -> set[tuple[int, str]]:
    """The ``(applicant id, channel)`` pairs of walk-ins' typed contacts that may
    not be written to, as the receivers of ``booking.signals.
    walk_in_contacts_withheld`` say (mediation: without a consent in force for
    that channel). Asks nothing, and costs no query, when no walk-in in
    ``applicants`` has a typed contact."""
    walk_ins = [a for a in applicants if a.user_id is None and (a.phone or a.email)]
    if not walk_ins:
        return set()
    withheld: set[tuple[int, str]] = set()
    for _receiver, answer in signals.walk_in_contacts_withheld.send(
        sender=Applicant, applicants=walk_ins, now=now or timezone.now()
    ):
        withheld |= set(answer or ())
    return withheld


def applicant_contacts(
    *,
    applicant: Applicant,
    now: datetime | None = None,
    withheld: set[tuple[int, str]] | None = None,
) -> list[tuple[str, str]]:
    """``contacts_of`` an applicant. Reads the account (no query when it is
    loaded already, as ``request.user.applicant`` does); for a walk-in, asks which
    typed contacts the person consented to (``walk_in_contacts_withheld``), unless
    the caller asked already for a batch and passes the answer as ``withheld``."""
    if applicant.user_id is None:
        contacts = contacts_of(
            has_account=False, walk_in_phone=applicant.phone, walk_in_email=applicant.email
        )
        if not contacts:
            return contacts
        if withheld is None:
            withheld = walk_in_contacts_withheld(applicants=[applicant], now=now)
        return [pair for pair in contacts if (applicant.pk, pair[0]) not in withheld]
    user = applicant.user
    return contacts_of(
        has_account=True,
        account_phone=user.phone,
        phone_confirmed=user.phone_verified_at is not None,
        account_email=user.email,
        email_confirmed=user.email_verified_at is not None,
    )
