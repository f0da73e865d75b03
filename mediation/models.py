from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Python's weekday(): 0 is Monday.
WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class AccessPoint(models.Model):
    """A digital access point (point d'accueil numérique, France Services).

    Its mediators help walk-ins who cannot book on their own.
    """

    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300)
    postcode = models.CharField(_("postcode"), max_length=5)
    city = models.CharField(_("city"), max_length=100)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    opening_hours = models.TextField(_("opening hours"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["city", "name"]
        verbose_name = _("access point")
        verbose_name_plural = _("access points")

    def __str__(self) -> str:
        return f"{self.name} ({self.city})"


class OpeningPeriod(models.Model):
    """A time of the week when the point receives people: a booking a mediator
    makes outside every period of their point is flagged
    (``Appointment.outside_opening_hours``). A point without periods flags
    nothing."""

    access_point = models.ForeignKey(
        AccessPoint, on_delete=models.CASCADE, related_name="opening_periods"
    )
    weekday = models.PositiveSmallIntegerField(
        _("day of the week"), choices=WEEKDAYS, help_text=_("0 is Monday.")
    )
    opens = models.TimeField(_("opens at"))
    closes = models.TimeField(_("closes at"))

    class Meta:
        ordering = ["access_point", "weekday", "opens"]
        verbose_name = _("opening period")
        verbose_name_plural = _("opening periods")
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__gte=0) & Q(weekday__lte=6), name="opening_period_weekday"
            ),
            models.CheckConstraint(
                condition=Q(closes__gt=F("opens")), name="opening_period_closes_after_opening"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class ConsentGiver(models.TextChoices):
    PERSON = "person", _("The person")
    REPRESENTATIVE = "representative", _("A representative")


class ConsentMethod(models.TextChoices):
    ORAL = "oral", _("Orally")
    WRITTEN = "written", _("In writing")


class ConsentPurpose(models.TextChoices):
    BOOKING = "booking", _("Booking, cancelling and moving appointments")
    WAITING_LIST = "waiting_list", _("Waiting list")
    CONTACT_SMS = "contact_sms", _("Contact by SMS")
    CONTACT_EMAIL = "contact_email", _("Contact by e-mail")


class Consent(models.Model):
    """A person's consent that the mediators of ``access_point`` act for them,
    for ``purposes``, until ``valid_until`` (included) or its withdrawal.

    Written and withdrawn only by ``mediation.services`` (audited); never
    changed otherwise: a new consent is a new row.
    """

    # Erased with the person's record (the audit trail keeps what was consented).
    applicant = models.ForeignKey(
        "booking.Applicant",
        on_delete=models.CASCADE,
        related_name="consents",
        verbose_name=_("person"),
    )
    access_point = models.ForeignKey(AccessPoint, on_delete=models.PROTECT, related_name="consents")
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="consents_received",
        verbose_name=_("mediator"),
    )
    given_by = models.CharField(_("given by"), max_length=16, choices=ConsentGiver)
    given_by_name = models.CharField(_("name of the representative"), max_length=200, blank=True)
    method = models.CharField(_("how"), max_length=8, choices=ConsentMethod)
    purposes = ArrayField(
        models.CharField(max_length=16, choices=ConsentPurpose), verbose_name=_("for")
    )
    given_at = models.DateTimeField(_("given at"), default=timezone.now)
    valid_until = models.DateField(_("valid until"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )

    class Meta:
        ordering = ["-given_at", "-pk"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        indexes = [models.Index(fields=["applicant", "access_point"], name="consent_person_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(purposes=[]), name="consent_has_a_purpose"),
            models.CheckConstraint(
                condition=~Q(given_by="representative") | ~Q(given_by_name=""),
                name="consent_representative_named",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.applicant_id} @ {self.access_point_id} ({', '.join(self.purposes)})"

    def is_valid(self, *, purpose: str | None = None, now: datetime | None = None) -> bool:
        """Not withdrawn, not expired at ``now`` (local day) and, if given, for ``purpose``."""
        now = now or timezone.now()
        if self.withdrawn_at is not None or self.valid_until < timezone.localdate(now):
            return False
        return purpose is None or purpose in self.purposes


class PointDayCount(models.Model):
    """Bookings made by the mediators of ``access_point`` on ``day`` (local):
    claimed by one conditional upsert (``mediation.services.caps``), never
    read-modified-written."""

    access_point = models.ForeignKey(AccessPoint, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    booked = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("bookings of a point in a day")
        verbose_name_plural = _("bookings of a point per day")
        constraints = [
            models.UniqueConstraint(fields=["access_point", "day"], name="point_day_count_unique")
        ]

    def __str__(self) -> str:
        return f"{self.access_point_id} {self.day}: {self.booked}"


class MediatorDayCount(models.Model):
    """Bookings made by ``mediator`` on ``day`` (local), wherever: as
    ``PointDayCount``."""

    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    booked = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("bookings of a mediator in a day")
        verbose_name_plural = _("bookings of a mediator per day")
        constraints = [
            models.UniqueConstraint(fields=["mediator", "day"], name="mediator_day_count_unique")
        ]

    def __str__(self) -> str:
        return f"{self.mediator_id} {self.day}: {self.booked}"


class CapRaise(models.Model):
    """A supervisor's raise of a daily cap for one day: the point's (no
    ``mediator``) or one mediator's at the point. The raises of a day add up."""

    day = models.DateField(_("day"))
    access_point = models.ForeignKey(
        AccessPoint, on_delete=models.PROTECT, related_name="cap_raises"
    )
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("mediator"),
    )
    extra = models.PositiveSmallIntegerField(_("extra bookings"))
    reason = models.TextField(_("reason"))
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("raised by"),
    )
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = _("daily cap raise")
        verbose_name_plural = _("daily cap raises")
        indexes = [models.Index(fields=["access_point", "day"], name="cap_raise_day_idx")]
        constraints = [models.CheckConstraint(condition=Q(extra__gt=0), name="cap_raise_positive")]

    def __str__(self) -> str:
        return f"+{self.extra} {self.day} @ {self.access_point_id}"
