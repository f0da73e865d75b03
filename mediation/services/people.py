"""Walk-ins registered at an access point and the consents people give it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from audit.models import AuditAction
from audit.services import audit_record
from booking.errors import NotAllowed
from booking.identity import Identity
from booking.models import Applicant
from booking.services import applicant_create
from mediation import errors
from mediation.models import Consent, ConsentGiver, ConsentMethod, ConsentPurpose
from mediation.services.access_points import supervises


def _mediator_of_point(actor: User) -> bool:
    return bool(
        actor.is_authenticated
        and actor.is_active
        and actor.role == Role.MEDIATOR
        and actor.access_point_id is not None
    )


def walk_in_register(
    *,
    actor: User,
    identity: Identity,
    phone: str = "",
    email: str = "",
    language: str = "fr",
) -> Applicant:
    """Record a walk-in (no account) at the mediator's access point: the same
    checks and normalisation as online (``booking.services.applicant_create``,
    audited ``identity.recorded`` with the access point).

    Raises ``MediatorOnly`` for anyone but a mediator of a point,
    ``InvalidIdentity`` / ``InvalidPhone`` for bad data and ``IdentityTaken``
    when the document is already on file: the caller then finds the person
    (``mediation.selectors.people_find``) and acts for them with their consent.
    """
    if not _mediator_of_point(actor):
        raise errors.MediatorOnly()
    return applicant_create(
        actor=actor,
        user=None,
        identity=identity,
        phone=phone,
        email=email,
        preferred_language=language,
    )


def _purposes_checked(purposes: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(purposes or ()))  # once each, in the order given
    if not chosen:
        raise errors.InvalidConsent(_("Choose what the consent is for."))
    if any(purpose not in ConsentPurpose.values for purpose in chosen):
        raise errors.InvalidConsent(_("Choose what the consent is for."))
    return chosen


def consent_give(
    *,
    actor: User,
    applicant: Applicant,
    given_by: str,
    given_by_name: str,
    method: str,
    purposes: Iterable[str],
    valid_until: date,
) -> Consent:
    """Record that ``applicant`` (or a representative: ``given_by_name``)
    consents, to the mediator ``actor`` and their access point, to ``purposes``
    until ``valid_until`` included (at most ``MEDIATION_CONSENT_MAX_DAYS``
    ahead). Audited ``consent.given`` with the point.

    The caller found ``applicant`` the ways a mediator may: one of the point's
    people, or by document number and date of birth / reference and date of
    birth (``mediation.selectors``); from then on the person is one of the
    point's people. Raises ``MediatorOnly``, ``InvalidConsent``.
    """
    if not _mediator_of_point(actor):
        raise errors.MediatorOnly()
    chosen = _purposes_checked(purposes)
    if given_by not in ConsentGiver.values:
        raise errors.InvalidConsent(_("Say who gave the consent."))
    if method not in ConsentMethod.values:
        raise errors.InvalidConsent(_("Say how the consent was given."))
    name = (given_by_name or "").strip()
    if given_by == ConsentGiver.REPRESENTATIVE and not name:
        raise errors.InvalidConsent(_("Enter the name of the representative."))
    if given_by == ConsentGiver.PERSON:
        name = ""
    if len(name) > Consent._meta.get_field("given_by_name").max_length:
        raise errors.InvalidConsent(_("The name of the representative is too long."))
    now = timezone.now()
    today = timezone.localdate(now)
    if not isinstance(valid_until, date) or valid_until < today:
        raise errors.InvalidConsent(_("The consent must be valid until today at least."))
    if valid_until > today + timedelta(days=settings.MEDIATION_CONSENT_MAX_DAYS):
        raise errors.InvalidConsent(
            _("A consent lasts %(days)s days at most."),
            days=settings.MEDIATION_CONSENT_MAX_DAYS,
        )
    consent = Consent(
        applicant=applicant,
        access_point_id=actor.access_point_id,
        mediator=actor,
        given_by=given_by,
        given_by_name=name,
        method=method,
        purposes=chosen,
        given_at=now,
        valid_until=valid_until,
    )
    with transaction.atomic():
        consent.save(force_insert=True)
        audit_record(
            actor=actor,
            action=AuditAction.CONSENT_GIVEN,
            subject_user=applicant.user,
            applicant=applicant,
            details=_consent_details(consent),
        )
    return consent


def _consent_details(consent: Consent) -> dict:
    return {
        "access_point": consent.access_point_id,
        "consent": consent.pk,
        "purposes": list(consent.purposes),
        "given_by": consent.given_by,
        "given_by_name": consent.given_by_name,
        "method": consent.method,
        "valid_until": consent.valid_until.isoformat(),
    }


def may_withdraw(actor: User, consent: Consent) -> bool:
    """The point's mediators and supervisors may withdraw a consent."""
    if not (actor.is_authenticated and actor.is_active):
        return False
    if supervises(actor):
        return True
    return _mediator_of_point(actor) and actor.access_point_id == consent.access_point_id


def consent_withdraw(*, actor: User, consent: Consent) -> Consent:
    """Withdraw ``consent`` now: the next action for the person under it is
    refused. By a mediator of its point or a supervisor (``NotAllowed``
    otherwise); ``ConsentNotActive`` if it was withdrawn already. Audited
    ``consent.withdrawn`` with the point."""
    if not may_withdraw(actor, consent):
        raise NotAllowed()
    now = timezone.now()
    with transaction.atomic():
        locked = (
            Consent.objects.select_for_update(of=("self",))
            .select_related("applicant__user")
            .filter(pk=consent.pk)
            .first()
        )
        if locked is None:
            raise NotAllowed()
        if locked.withdrawn_at is not None:
            raise errors.ConsentNotActive()
        locked.withdrawn_at = now
        locked.withdrawn_by = actor
        locked.save(update_fields=["withdrawn_at", "withdrawn_by"])
        audit_record(
            actor=actor,
            action=AuditAction.CONSENT_WITHDRAWN,
            subject_user=locked.applicant.user,
            applicant=locked.applicant,
            details={"access_point": locked.access_point_id, "consent": locked.pk},
        )
    return locked
