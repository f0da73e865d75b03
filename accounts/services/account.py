"""What the owner of an account changes on it."""

from __future__ import annotations

from django.db import transaction

from accounts.hooks import language_chosen
from accounts.models import User
from core.languages import language_codes


def account_language_set(*, user: User, language: str) -> None:
    """The language of the pages and of the messages (also the identity's, if
    any: ``hooks.language_chosen``)."""
    if language not in language_codes():
        return
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(language=language)
        language_chosen.send(sender=User, user=user, language=language)
    user.language = language
