"""Every write of the substitution route: filing a request, taking it in hand,
answering it (an appointment booked through ``booking.services``, or a reasoned
refusal or referral), recording a printed letter, and the retention purge.

Each runs in one transaction with its audit row (the request's id in the
details) and the messages it owes the person (``substitution.messages``,
through the outbox port).
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.phones import normalize_mobile
from audit.models import AuditAction
from audit.services import audit_record
from booking import errors as booking_errors
from booking.identity import Identity, identity_key, normalize_document_number
from booking.models import Applicant, Channel, Procedure, Site
from booking.services import applicant_create, appointment_book, identity_validate
from core import ratelimit
from core.languages import language_codes
from substitution import errors, messages
from substitution.models import (
    OPEN_STATES,
    Outcome,
    Reason,
    State,
    SubstitutionRequest,
    new_tracking,
)
from substitution.selectors import can_handle_requests, visible_requests

ACCOUNT_MAX = 2000
POSTAL_ADDRESS_MAX = 500
ANSWER_MAX = 2000


def identity_of(request: SubstitutionRequest) -> Identity:
    return Identity(
        surname=request.surname,
        given_names=request.given_names,
        birth_date=request.birth_date,
        nationality=str(request.nationality),
        document_type=request.document_type,
        document_number=request.document_number,
    )


def _contacts_checked(*, phone: str, email: str, postal_address: str) -> tuple[str, str, str]:
    phone = (phone or "").strip()
    email = (email or "").strip()
    postal_address = "\n".join(
        " ".join(line.split()) for line in (postal_address or "").splitlines() if line.strip()
    )
    if phone:
        phone = normalize_mobile(phone, regions=settings.CONTACT_PHONE_REGIONS)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise errors.InvalidRequest(_("Enter a valid e-mail address.")) from None
        email = email.lower()
    if len(postal_address) > POSTAL_ADDRESS_MAX:
        raise errors.InvalidRequest(_("The postal address is too long."))
    if not (phone or email or postal_address):
        raise errors.ContactMissing()
    return phone, email, postal_address


def substitution_request_create(
    *,
    identity: Identity,
    procedure: Procedure,
    site: Site | None,
    reason: str,
    account: str = "",
    phone: str = "",
    email: str = "",
    postal_address: str = "",
    language: str = "fr",
    now: datetime | None = None,
) -> SubstitutionRequest:
    """File a request for an appointment, without an account.

    Checks the identity as booking does (``identity_validate``: the same rules
    as an applicant's), that the procedure accepts the document, and that there
    is at least one way to answer (``ContactMissing``). Counts the request
    under the ``substitution`` rate limits per identity document and per
    contact given (``RateLimited``; the caller counts the client address).
    Then, in one transaction: the request (its tracking number drawn), its
    audit row and the acknowledgment owed at each contact. Raises, writing
    nothing: ``InvalidIdentity``, ``InvalidPhone``, ``InvalidRequest``,
    ``ContactMissing``, ``DocumentNotAccepted``.
    """
    now = now or timezone.now()
    identity_validate(identity=identity)
    if not procedure.is_active or (site is not None and not site.is_active):
        raise booking_errors.ProcedureUnavailable()
    if not procedure.accepts(identity.document_type):
        raise booking_errors.DocumentNotAccepted(required=procedure.get_required_document_display())
    if reason not in Reason.values:
        raise errors.InvalidRequest(_("Say what happened."))
    account = (account or "").strip()
    if len(account) > ACCOUNT_MAX:
        raise errors.InvalidRequest(_("The account of what happened is too long."))
    phone, email, postal_address = _contacts_checked(
        phone=phone, email=email, postal_address=postal_address
    )
    number = normalize_document_number(identity.document_number)
    key = identity_key(
        document_type=identity.document_type,
        document_number=number,
        nationality=str(identity.nationality),
    )
    ratelimit.hit("substitution", identity=key, phone=phone or None, email=email or None)
    request = SubstitutionRequest(
        surname=identity.surname.strip(),
        given_names=identity.given_names.strip(),
        birth_date=identity.birth_date,
        nationality=str(identity.nationality),
        document_type=identity.document_type,
        document_number=number,
        identity_key=key,
        procedure=procedure,
        site=site,
        reason=reason,
        account=account,
        phone=phone,
        email=email,
        postal_address=postal_address,
        language=language if language in language_codes() else settings.LANGUAGE_CODE,
        created_at=now,
        due_at=now + timedelta(days=settings.SUBSTITUTION_DEADLINE_DAYS),
    )
    for _attempt in range(5):
        request.tracking = new_tracking()
        try:
            with transaction.atomic():
                request.save(force_insert=True)
                audit_record(
                    actor=None,
                    action=AuditAction.SUBSTITUTION_REQUESTED,
                    details={
                        "request": request.pk,
                        "tracking": request.tracking,
                        "procedure": procedure.slug,
                        "site": site.slug if site else None,
                        "reason": reason,
                    },
                )
                messages.messages_owe(request=request, kind=messages.RECEIVED, now=now)
        except IntegrityError as exc:
            if "tracking" in str(exc):
                request.pk = None
                continue  # 31^9 numbers: a collision is rare, draw another
            raise
        return request
    raise RuntimeError("Could not draw a free tracking number.")  # pragma: no cover


def _locked(*, actor: User, request: SubstitutionRequest) -> SubstitutionRequest:
    """The request locked, if ``actor`` may handle it (``RequestNotFound`` otherwise:
    what they may not see does not exist). Caller is in a transaction."""
    if not can_handle_requests(actor):
        raise errors.RequestNotFound()
    locked = (
        SubstitutionRequest.objects.select_for_update(of=("self",))
        .filter(visible_requests(actor), pk=request.pk)
        .select_related("procedure", "site")
        .first()
    )
    if locked is None:
        raise errors.RequestNotFound()
    if locked.state not in OPEN_STATES:
        raise errors.AlreadyAnswered()
    return locked


def substitution_request_take(
    *, actor: User, request: SubstitutionRequest, now: datetime | None = None
) -> SubstitutionRequest:
    """``actor`` takes the request in hand (in progress, theirs). Audited."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(actor=actor, request=request)
        previous = locked.handled_by_id
        locked.state = State.IN_PROGRESS
        locked.handled_by = actor
        locked.taken_at = now
        locked.save(update_fields=["state", "handled_by", "taken_at"])
        audit_record(
            actor=actor,
            action=AuditAction.SUBSTITUTION_TAKEN,
            details={"request": locked.pk, "tracking": locked.tracking, "from": previous},
        )
    return locked


def _answered(
    *, actor: User, request: SubstitutionRequest, outcome: str, answer: str, now: datetime
) -> None:
    request.state = State.ANSWERED
    request.outcome = outcome
    request.answer = answer
    request.handled_by = actor
    request.taken_at = request.taken_at or now
    request.answered_at = now
    request.save(
        update_fields=[
            "state",
            "outcome",
            "answer",
            "handled_by",
            "taken_at",
            "answered_at",
            "applicant",
            "appointment",
        ]
    )
    audit_record(
        actor=actor,
        action=AuditAction.SUBSTITUTION_ANSWERED,
        applicant=request.applicant,
        appointment=request.appointment,
        details={
            "request": request.pk,
            "tracking": request.tracking,
            "outcome": outcome,
            "answer": answer,
        },
    )
    messages.messages_owe(request=request, kind=messages.ANSWERED, now=now)


def _applicant_for(*, actor: User, request: SubstitutionRequest) -> Applicant:
    """The identity on file with the request's document, or a walk-in recorded
    now with the request's contacts and language."""
    existing = Applicant.objects.filter(identity_key=request.identity_key).first()
    if existing is not None:
        return existing
    try:
        return applicant_create(
            actor=actor,
            user=None,
            identity=identity_of(request),
            phone=request.phone,
            email=request.email,
            preferred_language=request.language,
        )
    except booking_errors.IdentityTaken:
        # Recorded meanwhile by someone else: that record is the person's.
        return Applicant.objects.get(identity_key=request.identity_key)


def substitution_request_book(
    *, actor: User, request: SubstitutionRequest, slot_id: int, now: datetime | None = None
) -> SubstitutionRequest:
    """Answer the request with an appointment on ``slot_id`` (priority capacity,
    or any pool the agent may book, at their sites).

    The identity is the one on file for the request's document, or a walk-in
    recorded now (``applicant_create``, the agent acting). The booking is
    booking's own (``appointment_book`` with the agent and ``Channel.AGENT``:
    its rules, its confirmation messages to the identity's contacts). All in
    one transaction with the answer, its audit row and the answer owed at the
    request's contacts; a refusal of booking (``SlotFull``, ``AlreadyBooked``...)
    leaves nothing written.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(actor=actor, request=request)
        applicant = _applicant_for(actor=actor, request=locked)
        appointment = appointment_book(
            actor=actor, applicant=applicant, slot_id=slot_id, channel=Channel.AGENT
        )
        locked.applicant = applicant
        locked.appointment = appointment
        _answered(actor=actor, request=locked, outcome=Outcome.BOOKED, answer="", now=now)
    return locked


def substitution_request_answer(
    *,
    actor: User,
    request: SubstitutionRequest,
    outcome: str,
    answer: str,
    now: datetime | None = None,
) -> SubstitutionRequest:
    """Answer the request without an appointment: ``refused`` or ``referred``
    (to another service), with the reason the person reads."""
    now = now or timezone.now()
    if outcome not in (Outcome.REFUSED, Outcome.REFERRED):
        raise errors.InvalidRequest()
    answer = (answer or "").strip()
    if not answer:
        raise errors.ReasonMissing()
    if len(answer) > ANSWER_MAX:
        raise errors.InvalidRequest(_("The reason is too long."))
    with transaction.atomic():
        locked = _locked(actor=actor, request=request)
        _answered(actor=actor, request=locked, outcome=outcome, answer=answer, now=now)
    return locked


def substitution_letter_record(
    *, actor: User, request: SubstitutionRequest, now: datetime | None = None
) -> None:
    """Record that ``actor`` printed the answer letter of ``request`` (audited)."""
    now = now or timezone.now()
    with transaction.atomic():
        SubstitutionRequest.objects.filter(pk=request.pk).update(letter_printed_at=now)
        audit_record(
            actor=actor,
            action=AuditAction.SUBSTITUTION_LETTER,
            details={"request": request.pk, "tracking": request.tracking},
        )


def substitution_requests_purge(*, now: datetime | None = None) -> int:
    """Delete the requests answered more than ``RETENTION_MONTHS`` ago (the
    retention of personal data); a request not answered yet is kept, it is
    owed an answer. Returns how many went; audited when any did. Run daily."""
    now = now or timezone.now()
    cutoff = _months_before(now, settings.RETENTION_MONTHS)
    with transaction.atomic():
        deleted, _detail = SubstitutionRequest.objects.filter(
            state=State.ANSWERED, answered_at__lt=cutoff
        ).delete()
        if deleted:
            audit_record(
                actor=None,
                action=AuditAction.SUBSTITUTION_PURGED,
                details={"requests": deleted, "answered_before": cutoff.isoformat()},
            )
    return deleted


def _months_before(moment: datetime, months: int) -> datetime:
    year, month = divmod(moment.month - 1 - months, 12)
    year += moment.year
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)
