"""Reads of identities that more than one page needs."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist

from booking.models import Applicant


def applicant_of(user) -> Applicant | None:
    """``user``'s identity record, or ``None`` before they enter one."""
    try:
        return user.applicant
    except ObjectDoesNotExist:
        return None
