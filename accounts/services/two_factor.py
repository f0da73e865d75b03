"""Two-factor authentication: TOTP devices and backup codes."""

from __future__ import annotations

from django.db import transaction
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import errors
from accounts.models import User
from accounts.otp import BACKUP_CODES_COUNT, BACKUP_DEVICE_NAME, TOTP_DEVICE_NAME, is_staff_account
from accounts.services.sessions import sessions_and_tokens_end
from audit.models import AuditAction
from audit.services import audit_record


def _otp_devices_remove(*, actor: User, user: User, reason: str) -> int:

    with transaction.atomic():
        removed = 0
        for model in (TOTPDevice, StaticDevice):
            devices = model.objects.filter(user=user)
            removed += devices.count()
            devices.delete()
        if removed:
            audit_record(
                actor=actor,
                action=AuditAction.OTP_DEVICE_REMOVED,
                subject_user=user,
                details={"reason": reason},
            )
    return removed


def otp_device_start(*, user: User):
    """A new, unconfirmed TOTP device for ``user`` to scan; earlier unconfirmed
    ones are dropped. The confirmed one, if any, works until the new one is
    confirmed."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


def otp_backup_codes_regenerate(*, user: User) -> list[str]:
    """Replace ``user``'s backup codes with ``BACKUP_CODES_COUNT`` new ones
    (each works once). The clear codes are returned to be shown once."""
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES_COUNT)]
    with transaction.atomic():
        device, _created = StaticDevice.objects.get_or_create(
            user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def _otp_code(code: str | None) -> str:
    return "".join((code or "").split())


def otp_device_confirm(*, user: User, device_id: int, code: str):
    """Confirm the device ``user`` scanned with a code it shows: it replaces
    any earlier authenticator, and the backup codes are renewed. Returns the
    device and the clear backup codes (shown once). Raises ``InvalidOtp`` or
    ``NothingToConfirm``.

    The code is checked outside the transaction: the device's throttling
    (a failure count and a growing delay) must stay recorded on a refusal.
    """
    device = TOTPDevice.objects.filter(pk=device_id, user=user, confirmed=False).first()
    if device is None:
        raise errors.NothingToConfirm()
    if not device.verify_token(_otp_code(code)):
        raise errors.InvalidOtp()
    with transaction.atomic():
        if not TOTPDevice.objects.filter(pk=device.pk, confirmed=False).update(confirmed=True):
            raise errors.NothingToConfirm()
        device.confirmed = True
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        codes = otp_backup_codes_regenerate(user=user)
        audit_record(
            actor=user,
            action=AuditAction.OTP_DEVICE_CONFIRMED,
            subject_user=user,
            details={"device": "totp", "backup_codes": len(codes)},
        )
        # Sessions and tokens opened with the password alone end; the caller
        # keeps the session that confirmed (update_session_auth_hash).
        sessions_and_tokens_end(actor=user, user=user, reason="otp_device_confirmed")
    return device, codes


def otp_check(*, user: User, code: str | None):
    """The confirmed device (authenticator or backup codes) that accepts
    ``code``; a backup code is used up. Raises ``InvalidOtp``.

    Devices throttle failures themselves: after a wrong code the next try
    waits a growing delay, whatever the code.
    """
    code = _otp_code(code)
    device = match_token(user, code) if code else None
    if device is None:
        raise errors.InvalidOtp()
    return device


def otp_disable(*, user: User, password: str) -> int:
    """An applicant turns two-factor authentication off, after typing their
    password. Mandatory for staff: ``OtpMandatory``."""
    if is_staff_account(user):
        raise errors.OtpMandatory()
    if not user.check_password(password):
        raise errors.WrongPassword()
    return _otp_devices_remove(actor=user, user=user, reason="disabled_by_owner")
