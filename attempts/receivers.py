"""What the record of attempts hears: searches that found nothing (booking),
the account page being shown (accounts), identities erased (privacy)."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver
from django.urls import reverse

from accounts.hooks import account_page_shown
from accounts.models import Role
from attempts import services
from booking.models import ERASED_TEXT, Applicant
from booking.signals import availability_found_nothing


@receiver(availability_found_nothing, dispatch_uid="attempts.search_found_nothing")
def search_found_nothing(
    sender, *, procedure: str, sites=(), now, user=None, applicant=None, **kwargs
) -> None:
    services.failed_search_record(
        procedure=procedure, sites=tuple(sites or ()), now=now, user=user, applicant=applicant
    )


@receiver(account_page_shown, dispatch_uid="attempts.account_page")
def account_page(sender, *, user, **kwargs) -> dict:
    """ "My account" links to the record of attempts (no query)."""
    if user.role != Role.APPLICANT:
        return {}
    return {"attempts_record_url": reverse("attempts:record")}


@receiver(post_save, sender=Applicant, dispatch_uid="attempts.identity_erased")
def identity_erased(sender, *, instance: Applicant, created: bool, update_fields=None, **kwargs):
    """An identity kept for its appointments but erased (``privacy``): what the
    record of attempts holds of the person goes too. (An identity deleted takes
    its rows along: the foreign keys cascade.)"""
    if created or instance.surname != ERASED_TEXT:
        return
    if update_fields is not None and "surname" not in update_fields:
        return
    services.attempts_of_person_erase(applicant_id=instance.pk)
