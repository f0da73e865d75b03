"""Confirmation of an e-mail address: the signed link and following it."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from accounts import errors
from accounts.hooks import contact_confirmed
from accounts.messages import EMAIL_CONFIRM
from accounts.models import User
from accounts.services.outbox import _owe
from audit.context import client_ip
from audit.models import AuditAction
from audit.services import audit_record
from core import ratelimit
from core.links import public_url

_EMAIL_SALT = "accounts.email_confirm"


def _normalize_email(email: str) -> str:
    return User.objects.normalize_email((email or "").strip()).lower()


def _email_state(user: User) -> str:
    """Changes once the link is used: a used link no longer matches."""
    verified = user.email_verified_at.isoformat() if user.email_verified_at else ""
    return hashlib.sha256(f"{user.email}|{verified}".encode()).hexdigest()[:16]


def email_confirmation_token(*, user: User, address: str, state: str | None = None) -> str:
    """A link's token; ``state`` is the account's ``_email_state`` when the link
    was owed (now by default): it dies once the account's address changes."""
    return signing.TimestampSigner(salt=_EMAIL_SALT).sign_object(
        {"u": user.pk, "e": address, "s": state or _email_state(user)}
    )


def email_confirmation_url(*, user: User, address: str, state: str) -> str:
    """The link the confirmation e-mail carries, signed now (valid
    ``ACCOUNTS_EMAIL_LINK_DAYS`` from the send) for the state it was owed in."""
    token = email_confirmation_token(user=user, address=address, state=state)
    return public_url(reverse("accounts:email_confirm", args=[token]))


def _email_confirm_count(*, user: User, address: str) -> None:
    # Per account, per recipient whatever the account (mail bombing) and per
    # client address: raises core.ratelimit.RateLimited (a 429).
    ratelimit.hit("email_confirm", account=user.pk, email=address, ip=client_ip())


def email_confirmation_send(*, user: User, new_email: str | None = None) -> int:
    """Owe ``user`` an e-mail with a link that confirms ``new_email`` (a change
    of address) or the account's address. Returns the outbox message id.

    The link itself is signed by the worker when it sends
    (``accounts.messages``): the outbox never holds it. Counted in the
    ``email_confirm`` rate limits."""
    address = _normalize_email(new_email) if new_email else user.email
    _email_confirm_count(user=user, address=address)
    return _email_confirmation_owe(user=user, address=address, is_change=new_email is not None)


def _email_confirmation_owe(
    *, user: User, address: str, is_change: bool, in_use: bool = False
) -> int:
    """``in_use``: the address belongs to another account. Its owner is told
    that someone asked for it, with no link; to ``user`` the row is the same
    kind, to the same address, shown the same way as a confirmation."""
    with transaction.atomic():
        return _owe(
            user=user,
            key=EMAIL_CONFIRM,
            channel="email",
            destination=address,
            context={
                "address": address,
                "state": _email_state(user),
                "days": settings.ACCOUNTS_EMAIL_LINK_DAYS,
                "is_change": is_change,
                **({"in_use": True} if in_use else {}),
            },
            idempotency_key=f"{EMAIL_CONFIRM}:u{user.pk}:{secrets.token_hex(8)}",
        )


def email_change_request(*, user: User, new_email: str) -> int:
    """Owe a confirmation link to ``new_email``; the current address stays in
    use until the link is followed. Returns the outbox message id.

    An address another account uses gets a notice instead, without a link
    (``in_use``): the same kind of message, owed the same way, so that neither
    the answer nor the account's list of messages or its data export tells
    whether the address has an account. Counted in the ``email_confirm`` rate
    limits either way."""
    address = _normalize_email(new_email)
    if address == user.email and user.email_verified_at:
        raise errors.NothingToConfirm()
    _email_confirm_count(user=user, address=address)
    in_use = User.objects.filter(email__iexact=address).exclude(pk=user.pk).exists()
    return _email_confirmation_owe(user=user, address=address, is_change=True, in_use=in_use)


def email_confirm(*, token: str, now: datetime | None = None) -> User:
    """Follow a confirmation link: valid ``ACCOUNTS_EMAIL_LINK_DAYS``, once."""
    now = now or timezone.now()
    try:
        data = signing.TimestampSigner(salt=_EMAIL_SALT).unsign_object(
            token, max_age=timedelta(days=settings.ACCOUNTS_EMAIL_LINK_DAYS)
        )
        pk, address, state = int(data["u"]), str(data["e"]), str(data["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise errors.ConfirmationLinkInvalid() from None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=pk, is_active=True).first()
        if user is None or not constant_time_compare(state, _email_state(user)):
            raise errors.ConfirmationLinkInvalid()
        previous = user.email
        user.email = address
        user.email_verified_at = now
        try:
            with transaction.atomic():
                user.save(update_fields=["email", "email_verified_at"])
        except IntegrityError:  # someone registered that address meanwhile
            raise errors.EmailTaken() from None
        contact_confirmed.send(
            sender=User, user=user, field="email", previous=previous, new=address
        )
        if previous != address:
            audit_record(
                actor=user,
                action=AuditAction.CONTACT_CHANGED,
                subject_user=user,
                details={"field": "email", "before": previous, "after": address},
            )
    return user
