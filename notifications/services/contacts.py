"""Where a person's messages go."""

from __future__ import annotations

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
    typed for them, checked when recorded (``booking.services.applicant_create``).
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


def applicant_contacts(*, applicant: Applicant) -> list[tuple[str, str]]:
    """``contacts_of`` an applicant. Reads the account (no query when it is
    loaded already, as ``request.user.applicant`` does)."""
    if applicant.user_id is None:
        return contacts_of(
            has_account=False, walk_in_phone=applicant.phone, walk_in_email=applicant.email
        )
    user = applicant.user
    return contacts_of(
        has_account=True,
        account_phone=user.phone,
        phone_confirmed=user.phone_verified_at is not None,
        account_email=user.email,
        email_confirmed=user.email_verified_at is not None,
    )
