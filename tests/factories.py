"""factory_boy factories for the domain. Slots default to bookable: visible,
public, starting in a few days, capacity 3."""

from __future__ import annotations

import dataclasses
from datetime import date, time, timedelta

import factory
from django.utils import timezone

from accounts.models import Role, User
from booking.identity import Identity
from booking.models import Applicant, DocumentType, Pool, Procedure, Site, Slot
from mediation.models import AccessPoint

DEFAULT_PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    """An account with its e-mail and phone confirmed; ``unverified=True`` (or
    ``UnverifiedUserFactory``) for one that has confirmed neither."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    class Params:
        unverified = factory.Trait(email_verified_at=None, phone_verified_at=None)

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    role = Role.APPLICANT
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)
    phone = factory.Sequence(lambda n: f"+3375{n % 10**7:07d}")
    email_verified_at = factory.LazyFunction(timezone.now)
    phone_verified_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def sites(self, create, extracted, **kwargs):
        if create and extracted:
            self.sites.set(extracted)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class UnverifiedUserFactory(UserFactory):
    unverified = True


class AccessPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessPoint

    slug = factory.Sequence(lambda n: f"point-{n}")
    name = factory.Sequence(lambda n: f"France Services {n}")
    address = "1 place de la Mairie"
    postcode = "93000"
    city = "Bobigny"


class AgentFactory(UserFactory):
    role = Role.AGENT


class MediatorFactory(UserFactory):
    role = Role.MEDIATOR
    access_point = factory.SubFactory(AccessPointFactory)


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    slug = factory.Sequence(lambda n: f"site-{n}")
    name = factory.Sequence(lambda n: f"Sous-préfecture {n}")
    address = "1 esplanade Jean Moulin"
    postcode = "93000"
    city = "Bobigny"


class ProcedureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Procedure

    slug = factory.Sequence(lambda n: f"procedure-{n}")
    name = factory.Sequence(lambda n: f"Procédure {n}")
    duration_minutes = 20
    documents_to_bring = "Passeport\nJustificatif de domicile"


class ApplicantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Applicant

    user = factory.SubFactory(UserFactory)
    surname = factory.Sequence(lambda n: f"Diallo{n}")
    given_names = "Aminata"
    birth_date = date(1990, 5, 17)
    nationality = "SN"
    document_type = DocumentType.AGDREF
    document_number = factory.Sequence(lambda n: f"93{n:08d}")
    # An account's identity: its messages go to the account's confirmed contacts
    # (the identity's copy follows them); a walk-in's: the contacts staff typed.
    phone = factory.LazyAttribute(lambda o: o.user.phone if o.user else "+33612345678")
    email = factory.LazyAttribute(lambda o: o.user.email if o.user else "")


def identity(**overrides) -> Identity:
    """An identity to record (``booking.services.applicant_create`` and the like):
    a valid one, as a person would type it, with ``overrides``."""
    fields = {
        "surname": "N'Diaye",
        "given_names": "Élodie",
        "birth_date": date(1991, 3, 4),
        "nationality": "SN",
        "document_type": "agdref",
        "document_number": "9312345678",
    }
    return Identity(**(fields | overrides))


def identity_of(applicant: Applicant, **changes) -> Identity:
    """``applicant``'s identity as stored, with ``changes``: what a correction sends."""
    return dataclasses.replace(Identity.of(applicant), **changes)


class SlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Slot

    site = factory.SubFactory(SiteFactory)
    procedure = factory.SubFactory(ProcedureFactory)
    # 20 minutes apart, wrapping after 40 days: a long run (thousands of slots)
    # must not push them past the procedures' booking horizon.
    starts_at = factory.Sequence(
        lambda n: (
            (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
            + timedelta(minutes=20 * (n % (40 * 72)))
        )
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(minutes=20))
    pool = Pool.PUBLIC
    capacity = 3
    booked = 0
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))


class AlertSubscriptionFactory(factory.django.DjangoModelFactory):
    """A new-slot alert; pass ``sites=[...]`` (default: none)."""

    class Meta:
        model = "notifications.AlertSubscription"
        skip_postgeneration_save = True

    applicant = factory.SubFactory(ApplicantFactory)
    procedure = factory.SubFactory(ProcedureFactory)
    channels = "both"

    @factory.post_generation
    def sites(self, create, extracted, **kwargs):
        if create and extracted:
            self.sites.set(extracted)


class ConsentFactory(factory.django.DjangoModelFactory):
    """A person's consent to a point's mediators for everything, valid 90 days;
    pass ``mediator`` (its ``access_point`` follows) or both."""

    class Meta:
        model = "mediation.Consent"

    applicant = factory.SubFactory(ApplicantFactory, user=None)
    mediator = factory.SubFactory("tests.factories.MediatorFactory")
    access_point = factory.LazyAttribute(lambda o: o.mediator.access_point)
    given_by = "person"
    given_by_name = ""
    method = "oral"
    purposes = factory.LazyFunction(
        lambda: ["booking", "waiting_list", "contact_sms", "contact_email"]
    )
    given_at = factory.LazyFunction(timezone.now)
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=90))


class OpeningPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "mediation.OpeningPeriod"

    access_point = factory.SubFactory(AccessPointFactory)
    weekday = 0
    opens = factory.LazyFunction(lambda: time(9, 0))
    closes = factory.LazyFunction(lambda: time(17, 0))


class PriorityRightFactory(factory.django.DjangoModelFactory):
    """A valid priority right (``booking.PriorityRight``), as a closure gives one."""

    class Meta:
        model = "booking.PriorityRight"

    applicant = factory.SubFactory(ApplicantFactory)
    procedure = factory.SubFactory(ProcedureFactory)
    granted_at = factory.LazyFunction(timezone.now)
    valid_until = factory.LazyFunction(lambda: timezone.now() + timedelta(days=60))
    source = "closure"
