"""Every change of account state goes through these functions.

Confirmation messages (the e-mail link, the SMS code) are outbox rows written
in the same transaction as the change that owes them, and handed to Celery
once it commits (``notifications.services.enqueue_on_commit``).
"""

from __future__ import annotations

import calendar
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts import errors
from accounts.messages import EMAIL_CONFIRM, PASSWORD_RESET, PHONE_CODE, STAFF_INVITE
from accounts.models import (
    STAFF_ROLES,
    ApiToken,
    IdentityClaimAttempt,
    PhoneNumber,
    PhoneVerification,
    Role,
    User,
)
from accounts.phones import normalize_mobile
from audit.context import client_ip
from audit.models import AuditAction
from audit.services import audit_record, audit_rows_purge
from core import ratelimit

_EMAIL_SALT = "accounts.email_confirm"
_CODE_SALT = "accounts.phone_code"
_CODE_DERIVE_SALT = "accounts.phone_code.derive"


def api_token_create(*, user: User) -> tuple[ApiToken, str]:
    """Create a token for ``user`` and return it with its clear key (shown once)."""
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            digest=ApiToken.digest_of(key),
            prefix=key[:8],
            created_at=now,
            expires_at=now + settings.API_TOKEN_TTL,
        )
        # Never the key, nor its prefix: the row identifies the token by its id.
        audit_record(
            actor=user,
            action=AuditAction.TOKEN_CREATED,
            subject_user=user,
            details={"token_id": token.pk, "expires_at": token.expires_at.isoformat()},
        )
    return token, key


# --- Messages ------------------------------------------------------------------------


def _owe(
    *, user: User, key: str, channel: str, destination: str, context: dict, idempotency_key: str
) -> int:
    """Write one outbox row for ``user`` and hand it to the workers after commit.

    Every message owed here carries a secret (``accounts.messages``): the row
    keeps ``context``, which holds no secret, and no body; the worker derives
    the secret and renders the body at each attempt, in memory only.
    """
    from notifications.models import Message
    from notifications.services import enqueue_on_commit

    now = timezone.now()
    message = Message.objects.create(
        user=user,
        channel=channel,
        template_key=key,
        language=user.language,
        destination=destination,
        context=context,
        essential=True,
        idempotency_key=idempotency_key,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    enqueue_on_commit([message.pk])
    return message.pk


# --- Registration --------------------------------------------------------------------


def _normalize_email(email: str) -> str:
    return User.objects.normalize_email((email or "").strip()).lower()


def _validate_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise errors.WeakPassword(" ".join(exc.messages)) from None


def account_register(
    *, email: str, password: str, phone: str, consent: bool, language: str = "fr"
) -> User:
    """Create an applicant's account, owe the e-mail link and the SMS code.

    The account can log in at once but is not verified (``permissions.
    is_verified``) until both the e-mail address and the phone are confirmed.
    Raises ``ConsentRequired``, ``InvalidPhone``, ``WeakPassword`` or ``EmailTaken``.
    """
    if not consent:
        raise errors.ConsentRequired()
    email = _normalize_email(email)
    phone = normalize_mobile(phone)
    user = User(email=email, role=Role.APPLICANT, phone=phone, language=language[:8])
    _validate_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            if User.objects.filter(email__iexact=email).exists():
                raise errors.EmailTaken()
            user.save(force_insert=True)
            email_confirmation_send(user=user)
            phone_code_send(user=user, check_cool_down=False)
            audit_record(
                actor=user,
                action=AuditAction.ACCOUNT_CREATED,
                subject_user=user,
                details={"role": user.role, "by": "self-registration"},
            )
    except IntegrityError:  # the same address registered twice at once
        raise errors.EmailTaken() from None
    return user


# --- E-mail confirmation -------------------------------------------------------------


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
    from notifications.rendering import public_url

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
        _identity_contact_follow(user=user, field="email", previous=previous, new=address)
        if previous != address:
            audit_record(
                actor=user,
                action=AuditAction.CONTACT_CHANGED,
                subject_user=user,
                details={"field": "email", "before": previous, "after": address},
            )
    return user


def _identity_contact_follow(*, user: User, field: str, previous: str, new: str) -> None:
    """Messages about appointments go to the identity's contact details: when
    they were the account's, they follow the account's change."""
    from booking.models import Applicant

    if previous and previous != new:
        Applicant.objects.filter(user=user, **{field: previous}).update(**{field: new})


# --- Phone confirmation --------------------------------------------------------------


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
        _identity_contact_follow(user=user, field="phone", previous=previous, new=number)
        # The first confirmation of the number given at registration changes nothing.
        if stored != number:
            audit_record(
                actor=user,
                action=AuditAction.CONTACT_CHANGED,
                subject_user=user,
                details={"field": "phone", "before": stored, "after": number},
            )
    return user


# --- Account -------------------------------------------------------------------------


def account_language_set(*, user: User, language: str) -> None:
    """The language of the pages and of the messages (also the identity's, if any)."""
    from booking.models import Applicant

    codes = {code for code, _name in settings.LANGUAGES}
    if language not in codes:
        return
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(language=language)
        Applicant.objects.filter(user=user).update(preferred_language=language)
    user.language = language


def identity_claim_attempt_record(
    *, account: User | None, identity_key: str, ip: str | None
) -> IdentityClaimAttempt:
    """Record that ``account`` tried to use an identity already on file (and
    audit it, on the record that holds the identity)."""
    from booking.models import Applicant

    with transaction.atomic():
        attempt = IdentityClaimAttempt.objects.create(
            account=account if account is not None and account.pk else None,
            identity_key=identity_key[:64],
            ip=ip or None,
        )
        audit_record(
            actor=attempt.account,
            action=AuditAction.IDENTITY_CLAIM_REFUSED,
            subject_user=attempt.account,
            applicant=Applicant.objects.filter(identity_key=attempt.identity_key).first(),
            details={"identity_key": attempt.identity_key},
        )
    return attempt


def identity_is_locked(applicant) -> bool:
    """An identity is locked once an appointment uses it: from then on only an
    agent may correct it (derived, not stored: no flag to forget to set)."""
    return applicant.appointments.exists()


_IDENTITY_FIELDS = (
    "surname",
    "given_names",
    "birth_date",
    "nationality",
    "document_type",
    "document_number",
)


def _identity_fields(applicant) -> dict[str, str]:
    """The identity as stored (document number normalised), JSON-ready."""
    return {
        "surname": applicant.surname,
        "given_names": applicant.given_names,
        "birth_date": applicant.birth_date.isoformat(),
        "nationality": str(applicant.nationality),
        "document_type": applicant.document_type,
        "document_number": applicant.document_number,
    }


def _identity_changes(before: dict[str, str], after: dict[str, str]) -> dict[str, dict]:
    """``{"before": {...}, "after": {...}}`` of the fields that changed; ``{}`` if none."""
    changed = [name for name in _IDENTITY_FIELDS if before[name] != after[name]]
    if not changed:
        return {}
    return {
        "before": {name: before[name] for name in changed},
        "after": {name: after[name] for name in changed},
    }


def _identity_assign(
    applicant,
    *,
    surname: str,
    given_names: str,
    birth_date: date,
    nationality: str,
    document_type: str,
    document_number: str,
) -> dict[str, dict]:
    """Set a new identity on ``applicant`` (locked by the caller), unsaved, and
    return its changes (``_identity_changes``: ``{}`` if none)."""
    before = _identity_fields(applicant)
    applicant.surname = surname.strip()
    applicant.given_names = given_names.strip()
    applicant.birth_date = birth_date
    applicant.nationality = nationality
    applicant.document_type = document_type
    applicant.document_number = document_number
    applicant.derive_identity_fields()
    return _identity_changes(before, _identity_fields(applicant))


def _identity_save(applicant) -> None:
    """Store the identity set by ``_identity_assign``; ``IdentityTaken`` when the
    document is someone else's (the unique identity key says so)."""
    from booking import errors as booking_errors

    try:
        with transaction.atomic():
            # Applicant.save adds the derived fields (number, key) to these.
            applicant.save(
                update_fields=[
                    "surname",
                    "given_names",
                    "birth_date",
                    "nationality",
                    "document_type",
                ]
            )
    except IntegrityError:
        raise booking_errors.IdentityTaken() from None


def identity_correct(
    *,
    user: User,
    surname: str,
    given_names: str,
    birth_date: date,
    nationality: str,
    document_type: str,
    document_number: str,
):
    """The applicant corrects their own identity, as long as no appointment uses it.

    The identity record is locked (``FOR UPDATE``) while the appointments are
    looked for, so a correction and a booking that locks it too cannot cross.
    Raises ``IdentityLocked``, ``booking.errors.InvalidIdentity`` or
    ``booking.errors.IdentityTaken`` (the document is someone else's).
    """
    from booking.models import Applicant

    # The booking services' own checks, so both paths accept the same identities.
    from booking.services import identity_validate

    identity_validate(
        surname=surname,
        given_names=given_names,
        birth_date=birth_date,
        nationality=nationality,
        document_type=document_type,
        document_number=document_number,
    )
    with transaction.atomic():
        applicant = Applicant.objects.select_for_update().get(user=user)
        if identity_is_locked(applicant):
            raise errors.IdentityLocked()
        changes = _identity_assign(
            applicant,
            surname=surname,
            given_names=given_names,
            birth_date=birth_date,
            nationality=nationality,
            document_type=document_type,
            document_number=document_number,
        )
        _identity_save(applicant)
        if changes:
            audit_record(
                actor=user,
                action=AuditAction.IDENTITY_CORRECTED,
                subject_user=user,
                applicant=applicant,
                details={"by": "owner", **changes},
            )
    return applicant


def personal_data_export(*, user: User, now: datetime | None = None) -> dict:
    """Everything Guichet holds about ``user`` (``accounts.selectors.personal_data``),
    stamped with the moment of export; the export itself is audited."""
    from accounts.selectors import personal_data

    now = now or timezone.now()
    data = personal_data(user)
    data["exported_at"] = now.isoformat()
    audit_record(actor=user, action=AuditAction.PERSONAL_DATA_EXPORTED, subject_user=user)
    return data


# --- Deletion and retention ----------------------------------------------------------


def _messages_scrub(condition: Q, *, now: datetime) -> int:
    """Blank the content and address of sent or failed messages. Messages still
    owed (pending, sending) keep theirs: they are on their way."""
    from notifications.models import Message, MessageStatus

    return (
        Message.objects.filter(condition)
        .exclude(status__in=[MessageStatus.PENDING, MessageStatus.SENDING])
        .exclude(destination="")
        .update(destination="", subject="", text="", html="", updated_at=now)
    )


def _applicant_erase(applicant, *, now: datetime) -> None:
    """Erase what the applicant's record holds of a person.

    A record no appointment points to is deleted (with its alert
    subscriptions). One that appointments point to cannot be (they keep the
    counter's history and statistics): it is detached from the account, its
    contact details blanked, and its identity replaced by an erased marker so
    that the document can be registered again. The identity copied onto each
    appointment stays: a database trigger forbids editing it (see README).
    """
    _messages_scrub(Q(applicant=applicant), now=now)
    if not applicant.appointments.exists():
        applicant.delete()
        return
    applicant.alert_subscriptions.all().delete()
    applicant.user = None
    applicant.surname = "-"
    applicant.given_names = "-"
    applicant.birth_date = date(1900, 1, 1)
    applicant.document_number = f"ERASED{applicant.pk}"
    applicant.phone = ""
    applicant.email = ""
    applicant.save(
        update_fields=[
            "user",
            "surname",
            "given_names",
            "birth_date",
            "document_number",
            "phone",
            "email",
        ]
    )


@dataclass(frozen=True)
class Erasure:
    cancelled: int
    applicant_kept: bool


def account_erase(*, user: User, actor: User | None = None, now: datetime | None = None) -> Erasure:
    """Delete ``user``'s account and erase its personal data.

    Future appointments are cancelled through ``booking.services.
    appointment_cancel`` (the seat is freed and offered again; the person is
    told, at the address they had). Then the identity record is erased (see
    ``_applicant_erase``), the account's messages blanked and the account
    deleted. Refused identity claims keep their key for the abuse report,
    without the account. Audited with ``actor`` (the owner; ``None`` for the
    retention purge).
    """
    from booking.models import Applicant, AppointmentStatus
    from booking.services import appointment_cancel

    now = now or timezone.now()
    cancelled = 0
    with transaction.atomic():
        applicant = Applicant.objects.filter(user=user).first()
        if applicant is not None:
            future = applicant.appointments.filter(
                status=AppointmentStatus.BOOKED, slot__starts_at__gt=now
            ).order_by("pk")
            for appointment in future:
                appointment_cancel(actor=user, appointment=appointment)
                cancelled += 1
        audit_record(
            actor=actor,
            action=AuditAction.ACCOUNT_DELETED,
            subject_user=user,
            applicant=applicant,
            details={
                "by": "owner" if actor is not None else "purge",
                "cancelled": cancelled,
            },
        )
        if applicant is not None:
            _applicant_erase(applicant, now=now)
        _messages_scrub(Q(user=user), now=now)
        User.objects.filter(pk=user.pk).delete()
    return Erasure(
        cancelled=cancelled,
        applicant_kept=applicant is not None and Applicant.objects.filter(pk=applicant.pk).exists(),
    )


def account_delete(*, user: User, password: str) -> Erasure:
    """The applicant deletes their own account, after typing their password."""
    if not user.check_password(password):
        raise errors.WrongPassword()
    if user.role in STAFF_ROLES:
        # Staff accounts are closed by an administrator: their actions stay attributable.
        from core.errors import Forbidden

        raise Forbidden()
    return account_erase(user=user, actor=user)


def months_before(moment: datetime, months: int) -> datetime:
    year, month = divmod(moment.month - 1 - months, 12)
    year += moment.year
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class Purge:
    unconfirmed_deleted: int
    accounts_erased: int
    walk_ins_erased: int
    messages_scrubbed: int
    claims_deleted: int
    appointments_erased: int
    audit_rows_deleted: int


def personal_data_purge(*, now: datetime | None = None) -> Purge:
    """Erase personal data past its retention (``RETENTION_MONTHS`` after the
    person's last appointment) and accounts never confirmed within
    ``ACCOUNTS_UNCONFIRMED_DAYS``. Idempotent; run daily by Celery beat.

    An account whose owner logged in after the cutoff is still in use and is
    kept; one without any appointment goes once unused for as long. Appointment
    rows stay (statistics, the counter's history), and the identity copied onto
    those that ended before the cutoff is erased, whoever's they are
    (``booking.services.appointment_identities_erase``). Audit rows go after
    ``AUDIT_RETENTION_MONTHS``.
    """
    from booking.models import Applicant, Appointment
    from booking.services import appointment_identities_erase, appointments_close_past

    now = now or timezone.now()
    cutoff = months_before(now, settings.RETENTION_MONTHS)
    unconfirmed = User.objects.filter(
        role=Role.APPLICANT,
        date_joined__lt=now - timedelta(days=settings.ACCOUNTS_UNCONFIRMED_DAYS),
    ).filter(Q(email_verified_at__isnull=True) | Q(phone_verified_at__isnull=True))
    # One with appointments is in use (booked before confirmation was required, or
    # by a mediator for it): the retention rule below decides about it.
    unconfirmed = unconfirmed.exclude(
        Exists(Appointment.objects.filter(applicant__user=OuterRef("pk")))
    )
    unconfirmed_count = 0
    for user in unconfirmed.order_by("pk").iterator():
        account_erase(user=user, now=now)
        unconfirmed_count += 1

    expired = Applicant.objects.annotate(last_end=Max("appointments__slot__ends_at")).filter(
        last_end__lt=cutoff
    )
    accounts, walk_ins = 0, 0
    for applicant in expired.select_related("user").order_by("pk").iterator():
        user = applicant.user
        if user is not None:
            if user.last_login and user.last_login >= cutoff:
                continue
            account_erase(user=user, now=now)
            accounts += 1
        elif applicant.surname != "-":
            with transaction.atomic():
                audit_record(
                    actor=None,
                    action=AuditAction.IDENTITY_ERASED,
                    applicant=applicant,
                    details={"by": "purge"},
                )
                _applicant_erase(applicant, now=now)
            walk_ins += 1
    # An applicant's account with no appointment at all, unused for as long.
    idle = (
        User.objects.filter(role=Role.APPLICANT, date_joined__lt=cutoff)
        .filter(Q(last_login__isnull=True) | Q(last_login__lt=cutoff))
        .exclude(Exists(Appointment.objects.filter(applicant__user=OuterRef("pk"))))
    )
    for user in idle.order_by("pk").iterator():
        account_erase(user=user, now=now)
        accounts += 1
    scrubbed = _messages_scrub(Q(created_at__lt=cutoff), now=now)
    claims, _detail = IdentityClaimAttempt.objects.filter(created_at__lt=cutoff).delete()
    appointments_close_past(now=now)  # beat does it hourly; an active one is not erased
    appointments = appointment_identities_erase(ended_before=cutoff, now=now)
    if appointments:
        audit_record(
            actor=None,
            action=AuditAction.APPOINTMENTS_ANONYMISED,
            details={
                "by": "purge",
                "appointments": appointments,
                "ended_before": cutoff.isoformat(),
            },
        )
    PhoneVerification.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    audit_cutoff = months_before(now, settings.AUDIT_RETENTION_MONTHS)
    audit_rows = audit_rows_purge(cutoff=audit_cutoff)
    if audit_rows:
        audit_record(
            actor=None,
            action=AuditAction.AUDIT_PURGED,
            details={"rows": audit_rows, "older_than": audit_cutoff.isoformat()},
        )
    return Purge(
        unconfirmed_deleted=unconfirmed_count,
        accounts_erased=accounts,
        walk_ins_erased=walk_ins,
        messages_scrubbed=scrubbed,
        claims_deleted=claims,
        appointments_erased=appointments,
        audit_rows_deleted=audit_rows,
    )


# --- Correction by staff ---------------------------------------------------------------

CORRECTION_REASON_MAX_LENGTH = 500


def applicant_identity_correct(
    *,
    actor: User,
    applicant,
    reason: str,
    surname: str,
    given_names: str,
    birth_date: date,
    nationality: str,
    document_type: str,
    document_number: str,
):
    """An agent or a supervisor corrects a person's identity, locked or not, with a reason.

    Allowed by ``permissions.can_correct_identity`` (supervisors; agents of a
    site where the person has an appointment). The record is locked (``FOR
    UPDATE``) like ``identity_correct`` does, so a booking cannot cross it. The
    audit row holds the reason and the changed fields before and after.

    The identity copied onto the person's existing appointments stays as it
    was booked: a database trigger forbids editing it, and that is intended
    (an appointment keeps the identity it was booked with, which is what the
    counter checks). The correction applies to what is booked from now on.

    Raises ``booking.errors.NotAllowed``, ``CorrectionReasonRequired``,
    ``booking.errors.InvalidIdentity``, ``booking.errors.IdentityTaken`` (the
    document is someone else's) or ``IdentityUnchanged``.
    """
    from booking import errors as booking_errors
    from booking.models import Applicant
    from booking.permissions import can_correct_identity
    from booking.services import identity_validate

    if not can_correct_identity(actor, applicant):
        raise booking_errors.NotAllowed()
    reason = " ".join((reason or "").split())[:CORRECTION_REASON_MAX_LENGTH]
    if not reason:
        raise errors.CorrectionReasonRequired()
    identity_validate(
        surname=surname,
        given_names=given_names,
        birth_date=birth_date,
        nationality=nationality,
        document_type=document_type,
        document_number=document_number,
    )
    with transaction.atomic():
        applicant = Applicant.objects.select_for_update().get(pk=applicant.pk)
        changes = _identity_assign(
            applicant,
            surname=surname,
            given_names=given_names,
            birth_date=birth_date,
            nationality=nationality,
            document_type=document_type,
            document_number=document_number,
        )
        if not changes:
            raise errors.IdentityUnchanged()
        _identity_save(applicant)
        audit_record(
            actor=actor,
            action=AuditAction.IDENTITY_CORRECTED,
            subject_user=applicant.user,
            applicant=applicant,
            details={"by": "staff", "reason": reason, **changes},
        )
    return applicant


# --- Staff accounts --------------------------------------------------------------------
# Created by a supervisor or an administrator, never by self-registration; each
# change is audited. The new person sets their password through a link made with
# Django's password-reset tokens (valid PASSWORD_RESET_TIMEOUT, dead once used).


def _audit(*, actor: User | None, action: str, subject_user: User, details: dict) -> None:
    from audit.services import audit_record as record

    record(actor=actor, action=action, subject_user=subject_user, details=details)


def staff_attachments_check(*, role: str, sites: list, access_point) -> None:
    """An agent works for at least one site, a mediator belongs to an access point.

    Raises ``InvalidStaffRole``, ``AgentSitesRequired`` or
    ``MediatorAccessPointRequired``.
    """
    if role not in STAFF_ROLES:
        raise errors.InvalidStaffRole()
    if role == Role.AGENT and not sites:
        raise errors.AgentSitesRequired()
    if role == Role.MEDIATOR and access_point is None:
        raise errors.MediatorAccessPointRequired()


def staff_snapshot(user: User) -> dict:
    """What the audit trail records of a staff account's role and attachments."""
    return {
        "role": user.role,
        "sites": sorted(user.sites.values_list("pk", flat=True)) if user.pk else [],
        "access_point": user.access_point_id,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
    }


def _staff_manage_check(*, actor: User, user: User) -> None:
    from accounts.permissions import can_manage_account
    from core.errors import Forbidden

    if actor.pk == user.pk:
        raise errors.StaffSelfChange()
    if not can_manage_account(actor, user):
        raise Forbidden()


def password_set_url(*, user: User) -> str:
    """A link to choose ``user``'s password (Django's reset tokens: valid
    ``PASSWORD_RESET_TIMEOUT`` from now, dead once the password changes or the
    account logs in). Made by the worker when it sends, never stored."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from notifications.rendering import public_url

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return public_url(reverse("accounts:password_reset_confirm", args=[uid, token]))


def staff_invitation_send(*, user: User, actor: User | None = None) -> int:
    """Owe ``user`` an e-mail with a link to set their password; returns the
    outbox message id. The link is made by the worker (``password_set_url``).
    Counted in the ``staff_invite`` rate limits (per ``actor``, recipient, address)."""
    ratelimit.hit(
        "staff_invite",
        account=actor.pk if actor is not None else None,
        email=user.email,
        ip=client_ip(),
    )
    with transaction.atomic():
        return _owe(
            user=user,
            key=STAFF_INVITE,
            channel="email",
            destination=user.email,
            context={"hours": settings.PASSWORD_RESET_TIMEOUT // 3600},
            idempotency_key=f"{STAFF_INVITE}:u{user.pk}:{secrets.token_hex(8)}",
        )


def password_reset_send(*, user: User) -> int:
    """Owe ``user`` the e-mail of a password reset they (or someone typing their
    address) asked for: through the outbox like every message, so it is retried
    and the page answers as fast whether the address has an account or not."""
    return _owe(  # one INSERT: no transaction of its own needed
        user=user,
        key=PASSWORD_RESET,
        channel="email",
        destination=user.email,
        context={"hours": settings.PASSWORD_RESET_TIMEOUT // 3600},
        idempotency_key=f"{PASSWORD_RESET}:u{user.pk}:{secrets.token_hex(8)}",
    )


def staff_create(
    *,
    actor: User,
    email: str,
    role: str,
    full_name: str = "",
    sites: list | None = None,
    access_point=None,
) -> User:
    """Create a staff account (mediator, agent or supervisor) and owe it the
    set-password link. Only for ``permissions.can_manage_staff`` actors.

    Sites are kept for agents only, the access point for mediators only.
    Raises ``Forbidden``, ``EmailTaken`` or an attachment error.
    """
    from accounts.permissions import can_manage_staff
    from audit.models import AuditAction
    from core.errors import Forbidden

    if not can_manage_staff(actor):
        raise Forbidden()
    sites = list(sites or [])
    staff_attachments_check(role=role, sites=sites, access_point=access_point)
    email = _normalize_email(email)
    user = User(
        email=email,
        full_name=(full_name or "").strip()[:200],
        role=role,
        access_point=access_point if role == Role.MEDIATOR else None,
        language=actor.language or "fr",
    )
    user.set_unusable_password()
    try:
        with transaction.atomic():
            if User.objects.filter(email__iexact=email).exists():
                raise errors.EmailTaken()
            user.save(force_insert=True)
            if role == Role.AGENT:
                user.sites.set(sites)
            _audit(
                actor=actor,
                action=AuditAction.ACCOUNT_CREATED,
                subject_user=user,
                details={"by": "staff", **staff_snapshot(user)},
            )
            staff_invitation_send(user=user, actor=actor)
    except IntegrityError:  # the same address created twice at once
        raise errors.EmailTaken() from None
    return user


def staff_update(
    *,
    actor: User,
    user: User,
    role: str,
    full_name: str,
    sites: list | None = None,
    access_point=None,
) -> User:
    """Change a staff account's role, name and attachments. A change of role
    or attachment is audited with what it was and what it becomes."""
    from audit.models import AuditAction

    _staff_manage_check(actor=actor, user=user)
    sites = list(sites or [])
    staff_attachments_check(role=role, sites=sites, access_point=access_point)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = staff_snapshot(locked)
        locked.role = role
        locked.full_name = (full_name or "").strip()[:200]
        locked.access_point = access_point if role == Role.MEDIATOR else None
        locked.save(update_fields=["role", "full_name", "access_point"])
        locked.sites.set(sites if role == Role.AGENT else [])
        after = staff_snapshot(locked)
        if after != before:
            _audit(
                actor=actor,
                action=AuditAction.ACCOUNT_ROLE_CHANGED,
                subject_user=locked,
                details={"before": before, "after": after},
            )
            # What the account may do changed: start again from a fresh login.
            sessions_and_tokens_end(actor=actor, user=locked, reason="role_changed")
    return locked


def staff_deactivate(*, actor: User, user: User) -> User:
    """Close a staff account: it can no longer log in, its sessions end (for
    good: a reactivation does not revive them) and its API tokens are revoked.
    The account stays, so that its past actions remain attributable."""
    from audit.models import AuditAction

    _staff_manage_check(actor=actor, user=user)
    with transaction.atomic():
        changed = User.objects.filter(pk=user.pk, is_active=True).update(is_active=False)
        if changed:
            # Ended, not only unloaded while inactive: a reactivation must not
            # bring back old sessions, second factor passed.
            sessions_and_tokens_end(actor=actor, user=user, reason="deactivated")
            _audit(
                actor=actor,
                action=AuditAction.ACCOUNT_DEACTIVATED,
                subject_user=user,
                details={"role": user.role},
            )
    user.is_active = False
    return user


def staff_reactivate(*, actor: User, user: User) -> User:
    """Open a closed staff account again (its second factor is still needed)."""
    from audit.models import AuditAction

    _staff_manage_check(actor=actor, user=user)
    with transaction.atomic():
        changed = User.objects.filter(pk=user.pk, is_active=False).update(is_active=True)
        if changed:
            _audit(
                actor=actor,
                action=AuditAction.ACCOUNT_REACTIVATED,
                subject_user=user,
                details={"role": user.role},
            )
    user.is_active = True
    return user


def staff_otp_reset(*, actor: User, user: User) -> int:
    """Remove a staff member's second-factor devices (a lost phone): they
    enrol again at their next login. Their sessions end and their API tokens
    are revoked (whoever holds the phone may be logged in). Returns how many
    devices went."""
    _staff_manage_check(actor=actor, user=user)
    with transaction.atomic():
        removed = _otp_devices_remove(actor=actor, user=user, reason="reset_by_supervisor")
        sessions_and_tokens_end(actor=actor, user=user, reason="otp_reset_by_supervisor")
    return removed


# --- Two-factor authentication ------------------------------------------------------------


def _otp_devices_remove(*, actor: User, user: User, reason: str) -> int:
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from audit.models import AuditAction

    with transaction.atomic():
        removed = 0
        for model in (TOTPDevice, StaticDevice):
            devices = model.objects.filter(user=user)
            removed += devices.count()
            devices.delete()
        if removed:
            _audit(
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
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.otp import TOTP_DEVICE_NAME

    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


def otp_backup_codes_regenerate(*, user: User) -> list[str]:
    """Replace ``user``'s backup codes with ``BACKUP_CODES_COUNT`` new ones
    (each works once). The clear codes are returned to be shown once."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    from accounts.otp import BACKUP_CODES_COUNT, BACKUP_DEVICE_NAME

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
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from audit.models import AuditAction

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
        _audit(
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
    from django_otp import match_token

    code = _otp_code(code)
    device = match_token(user, code) if code else None
    if device is None:
        raise errors.InvalidOtp()
    return device


def otp_disable(*, user: User, password: str) -> int:
    """An applicant turns two-factor authentication off, after typing their
    password. Mandatory for staff: ``OtpMandatory``."""
    from accounts.otp import is_staff_account

    if is_staff_account(user):
        raise errors.OtpMandatory()
    if not user.check_password(password):
        raise errors.WrongPassword()
    return _otp_devices_remove(actor=user, user=user, reason="disabled_by_owner")


# --- API tokens ---------------------------------------------------------------------------


def api_token_issue(*, user: User, otp: str | None) -> tuple[ApiToken, str]:
    """A token for ``user``, who has given their password. Staff, and
    applicants who turned two-factor authentication on, must also give a valid
    ``otp`` (TOTP or backup code): ``OtpRequired`` without one, ``InvalidOtp``
    with a wrong one."""
    from accounts.otp import otp_required_for

    if otp_required_for(user):
        if not _otp_code(otp):
            raise errors.OtpRequired()
        otp_check(user=user, code=otp)
    return api_token_create(user=user)


def api_token_revoke(*, user: User, token_id: int) -> None:
    """``user`` revokes one of their own tokens; anyone else's is ``NotFound``."""
    from audit.models import AuditAction
    from core.errors import NotFound

    with transaction.atomic():
        deleted, _detail = ApiToken.objects.filter(pk=token_id, user=user).delete()
        if not deleted:
            raise NotFound()
        _audit(
            actor=user,
            action=AuditAction.TOKEN_REVOKED,
            subject_user=user,
            details={"token_id": token_id, "reason": "revoked_by_owner"},
        )


def sessions_and_tokens_end(*, actor: User | None, user: User, reason: str) -> None:
    """End every session of ``user`` and revoke every API token of theirs: a
    change of what protects the account or of what it may do (second factor
    turned on or reset, role changed).

    Sessions end as after a password change: each one stores the account's
    session auth hash, which must still match at its next request, and the
    bump of ``session_generation`` changes it (``User._get_session_auth_hash``).
    A caller acting in ``user``'s own session keeps it with Django's
    ``update_session_auth_hash(request, user)`` (``user`` is updated here).
    Audited: ``SESSIONS_ENDED``, and ``TOKEN_REVOKED`` if there were tokens.
    """
    from audit.models import AuditAction

    # No savepoint: nothing here is retried on its own, a failure undoes the caller's change.
    with transaction.atomic(savepoint=False):
        User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
        user.session_generation = (
            User.objects.filter(pk=user.pk).values_list("session_generation", flat=True).get()
        )
        api_tokens_revoke_all(actor=actor, user=user, reason=reason)
        _audit(
            actor=actor,
            action=AuditAction.SESSIONS_ENDED,
            subject_user=user,
            details={"reason": reason},
        )


def api_tokens_revoke_all(*, actor: User | None, user: User, reason: str) -> int:
    """Revoke every token of ``user`` (password changed, account closed, a
    change of second factor or of role)."""
    from audit.models import AuditAction

    with transaction.atomic(savepoint=False):
        ids = list(ApiToken.objects.filter(user=user).values_list("pk", flat=True))
        if not ids:
            return 0
        ApiToken.objects.filter(pk__in=ids).delete()
        _audit(
            actor=actor,
            action=AuditAction.TOKEN_REVOKED,
            subject_user=user,
            details={"token_ids": ids, "reason": reason},
        )
    return len(ids)


def password_changed_record(*, user: User) -> None:
    """The password of ``user`` changed (any path: the change page, a reset
    link, the admin, a command): audit it and revoke their API tokens."""
    from audit.context import request_user
    from audit.models import AuditAction

    # Reached by a signal, which is not told who acts: the request's user (the
    # owner on the change page, an administrator in the admin); a reset link is
    # used by nobody logged in, and proves the owner's mailbox: the owner. No
    # request (a command): nobody.
    actor = request_user()
    if actor is None and client_ip() is not None:
        actor = user
    with transaction.atomic():
        _audit(actor=actor, action=AuditAction.PASSWORD_CHANGED, subject_user=user, details={})
        api_tokens_revoke_all(actor=None, user=user, reason="password_changed")


# --- Login lock-outs -----------------------------------------------------------------


def account_unlock(*, actor: User, email: str) -> int:
    """A supervisor (or an administrator) lifts the login lock-out of ``email``:
    its failed attempts are forgotten from every client address. Recorded in the
    audit trail, even when nothing was locked. Returns how many attempt records went."""
    from accounts.lockout import lockout_clear, normalize_login
    from accounts.permissions import can_unlock_logins
    from audit.models import AuditAction
    from audit.services import audit_record
    from core.errors import Forbidden, InvalidInput

    if not can_unlock_logins(actor):
        raise Forbidden()
    login = normalize_login(email)
    if not login:
        raise InvalidInput()
    with transaction.atomic():
        cleared = lockout_clear(email=login)
        audit_record(
            actor=actor,
            action=AuditAction.ACCOUNT_UNLOCKED,
            subject_user=User.objects.filter(email__iexact=login).first(),
            details={"email": login, "attempts_cleared": cleared},
        )
    return cleared


def account_admin_saved(
    *, actor: User, user: User, before: dict | None, was_active: bool | None
) -> None:
    """Audit what an administrator changed in the admin's user form (which
    saves the model itself): creation, role or attachments, activity.
    ``before`` is ``staff_snapshot`` as it was, ``None`` for a new account."""
    from audit.models import AuditAction

    after = staff_snapshot(user)
    with transaction.atomic():
        if before is None:
            _audit(
                actor=actor,
                action=AuditAction.ACCOUNT_CREATED,
                subject_user=user,
                details={"by": "admin", **after},
            )
            return
        if after != before:
            _audit(
                actor=actor,
                action=AuditAction.ACCOUNT_ROLE_CHANGED,
                subject_user=user,
                details={"before": before, "after": after, "by": "admin"},
            )
            sessions_and_tokens_end(actor=actor, user=user, reason="role_changed")
        if was_active is not None and was_active != user.is_active:
            action = (
                AuditAction.ACCOUNT_REACTIVATED
                if user.is_active
                else AuditAction.ACCOUNT_DEACTIVATED
            )
            _audit(actor=actor, action=action, subject_user=user, details={"by": "admin"})
            if not user.is_active and after == before:  # a role change ended them already
                sessions_and_tokens_end(actor=actor, user=user, reason="deactivated")
