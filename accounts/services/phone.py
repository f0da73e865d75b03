"""Confirmation of a mobile phone: the SMS code and typing it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts import errors
from accounts.hooks import contact_confirmed
from accounts.messages import PHONE_CODE
from accounts.models import PhoneNumber, PhoneVerification, User
from accounts.phones import normalize_mobile
from accounts.services.outbox import _owe
from audit.context import client_ip
from audit.models import AuditAction
from audit.services import audit_record
from core import ratelimit

_CODE_SALT = "accounts.phone_code"
_CODE_DERIVE_SALT = "accounts.phone_code.derive"


def _code_hash(verification_nonce: str, code: str) -> str:
    return salted_hmac(_CODE_SALT, f"{verification_nonce}:{code}", algorithm="sha256").hexdigest()


def _derived_code(verification: PhoneVerification) -> str:
    """The 6-digit code of ``verification``: a keyed hash (``SECRET_KEY``) of
    its id and creation time, so the worker can render the SMS again at each
    attempt without the code being stored anywhere."""
    created = verification.created_at.astimezone(UTC).isoformat()
    digest = salted_hmac(
        _CODE_DERIVE_SALT, f"{verification.pk}:{created}", algorithm="sha256"
    ).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**6:06d}"


def phone_code_of(*, verification_id, user: User, now: datetime | None = None) -> str | None:
    """The code of ``user``'s verification ``verification_id`` while it may
    still be typed (for the worker that sends it), else ``None``."""
    now = now or timezone.now()
    verification = PhoneVerification.objects.filter(
        pk=verification_id, user=user, confirmed_at__isnull=True, expires_at__gt=now
    ).first()
    return _derived_code(verification) if verification is not None else None


def phone_code_send(
    *,
    user: User,
    phone: str | None = None,
    check_cool_down: bool = True,
    now: datetime | None = None,
) -> PhoneVerification:
    """Owe ``user`` an SMS with a new 6-digit code for ``phone`` (a new number)
    or the account's number. The previous codes stop working. Refused with
    ``PhoneCodeTooSoon`` within ``ACCOUNTS_PHONE_CODE_RESEND_SECONDS`` of the last."""
    now = now or timezone.now()
    number = normalize_mobile(phone) if phone else user.phone
    if not number or (number == user.phone and user.phone_verified_at):
        raise errors.NothingToConfirm()
    # Per account, per number whatever the account (SMS bombing, account farming)
    # and per client address: raises core.ratelimit.RateLimited (a 429).
    ratelimit.hit("phone_code", account=user.pk, phone=number, ip=client_ip())
    cool_down = timedelta(seconds=settings.ACCOUNTS_PHONE_CODE_RESEND_SECONDS)
    with transaction.atomic():
        # One sender at a time per account: two quick clicks make one code.
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
        last = PhoneVerification.objects.filter(user=user).order_by("-created_at").first()
        if check_cool_down and last is not None and last.created_at > now - cool_down:
            raise errors.PhoneCodeTooSoon()
        PhoneVerification.objects.filter(user=user, confirmed_at__isnull=True).update(
            expires_at=now
        )
        verification = PhoneVerification(
            user=user,
            phone=number,
            created_at=now,
            expires_at=now + timedelta(minutes=settings.ACCOUNTS_PHONE_CODE_MINUTES),
        )
        verification.code_hash = "pending"
        verification.save(force_insert=True)
        code = _derived_code(verification)
        verification.code_hash = _code_hash(str(verification.pk), code)
        verification.save(update_fields=["code_hash"])
        # The SMS is rendered by the worker, with the code derived again: not stored.
        _owe(
            user=user,
            key=PHONE_CODE,
            channel="sms",
            destination=number,
            context={
                "verification": verification.pk,
                "minutes": settings.ACCOUNTS_PHONE_CODE_MINUTES,
            },
            idempotency_key=f"{PHONE_CODE}:v{verification.pk}",
        )
    return verification


def pending_phone_verification(user: User, now: datetime | None = None) -> PhoneVerification | None:
    """The code ``user`` may still type, if any."""
    now = now or timezone.now()
    return (
        PhoneVerification.objects.filter(
            user=user,
            confirmed_at__isnull=True,
            expires_at__gt=now,
            attempts__lt=settings.ACCOUNTS_PHONE_CODE_ATTEMPTS,
        )
        .order_by("-created_at")
        .first()
    )


def phone_confirm(*, user: User, code: str, now: datetime | None = None) -> User:
    """Check the SMS code; on success the number becomes the account's.

    Each try is counted before the code is compared (and stays counted when
    the code is wrong): ``ACCOUNTS_PHONE_CODE_ATTEMPTS`` tries per code. A
    number confirms at most ``ACCOUNTS_PER_PHONE`` accounts: the number's row
    is locked while its accounts are counted, so two confirmations at once
    cannot both pass the cap. Call it outside any transaction: a wrong try must
    stay counted when the refusal rolls the caller's transaction back.
    """
    now = now or timezone.now()
    verification = pending_phone_verification(user, now)
    if verification is None:
        raise errors.PhoneCodeExpired()
    counted = PhoneVerification.objects.filter(
        pk=verification.pk,
        confirmed_at__isnull=True,
        expires_at__gt=now,
        attempts__lt=settings.ACCOUNTS_PHONE_CODE_ATTEMPTS,
    ).update(attempts=F("attempts") + 1)
    if counted != 1:
        raise errors.PhoneCodeExpired()
    expected = _code_hash(str(verification.pk), "".join((code or "").split()))
    if not constant_time_compare(expected, verification.code_hash):
        raise errors.PhoneCodeInvalid()
    number = verification.phone
    with transaction.atomic():
        PhoneNumber.objects.get_or_create(phone=number, defaults={"created_at": now})
        PhoneNumber.objects.select_for_update().filter(phone=number).values_list("pk").first()
        used = (
            User.objects.filter(phone=number, phone_verified_at__isnull=False)
            .exclude(pk=user.pk)
            .count()
        )
        if used >= settings.ACCOUNTS_PER_PHONE:
            raise errors.PhoneCapReached(cap=settings.ACCOUNTS_PER_PHONE)
        used_now = PhoneVerification.objects.filter(
            pk=verification.pk, confirmed_at__isnull=True
        ).update(confirmed_at=now)
        if used_now != 1:
            raise errors.PhoneCodeExpired()
        previous = user.phone if user.phone_verified_at else ""
        stored = user.phone
        user.phone = number
        user.phone_verified_at = now
        user.save(update_fields=["phone", "phone_verified_at"])
        contact_confirmed.send(sender=User, user=user, field="phone", previous=previous, new=number)
        # The first confirmation of the number given at registration changes nothing.
        if stored != number:
            audit_record(
                actor=user,
                action=AuditAction.CONTACT_CHANGED,
                subject_user=user,
                details={"field": "phone", "before": stored, "after": number},
            )
    return user
