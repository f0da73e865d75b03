"""Booking's answers to the account events of ``accounts.hooks``: the identity
follows its account's contact details and language, and "My account" shows
it. Connected in ``BookingConfig.ready``."""

from __future__ import annotations

from django.dispatch import receiver

from accounts.hooks import account_page_shown, contact_confirmed, language_chosen
from booking import services
from booking.identity.views import account_page_identity


@receiver(contact_confirmed, dispatch_uid="booking.identity.contact_follow")
def contact_follow(sender, *, user, field: str, previous: str, new: str, **kwargs) -> None:
    services.applicant_contact_follow(user=user, field=field, previous=previous, new=new)


@receiver(language_chosen, dispatch_uid="booking.identity.language_follow")
def language_follow(sender, *, user, language: str, **kwargs) -> None:
    services.applicant_language_set(user=user, language=language)


@receiver(account_page_shown, dispatch_uid="booking.identity.account_page")
def account_page(sender, *, user, **kwargs) -> dict:
    return account_page_identity(user)
