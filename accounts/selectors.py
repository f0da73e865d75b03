"""Reads about an account that its pages and its data export share."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.messages import message_subject_shown, message_text_shown
from accounts.models import STAFF_ROLES, ApiToken, User
from notifications.models import Message


def account_messages(user: User, applicant=None) -> QuerySet:
    """The messages owed to the account or to its identity, newest first."""
    condition = Q(user=user)
    if applicant is not None:
        condition |= Q(applicant=applicant)
    return Message.objects.filter(condition).order_by("-created_at", "-pk")


def account_messages_shown(user: User, applicant=None, *, limit: int) -> list[tuple[Any, str]]:
    """The ``limit`` newest messages of the account, each with what its page
    shows of it: the subject or the text, never a code or a link it carries
    (``accounts.messages.message_text_shown``)."""
    return [
        (message, message_subject_shown(message) or message_text_shown(message))
        for message in account_messages(user, applicant)[:limit]
    ]


def api_tokens_of(user: User) -> QuerySet:
    """``user``'s API tokens that still work, newest first."""
    return ApiToken.objects.filter(user=user, expires_at__gt=timezone.now()).order_by(
        "-created_at", "-pk"
    )


def staff_accounts() -> QuerySet:
    """Every staff account (a staff role, or the admin's flags), by e-mail,
    with what the staff list shows."""
    return (
        User.objects.filter(Q(role__in=STAFF_ROLES) | Q(is_staff=True) | Q(is_superuser=True))
        .select_related("access_point")
        .prefetch_related("sites")
        .order_by("email")
    )
