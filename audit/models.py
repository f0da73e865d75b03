"""The audit trail: who did what, to whom, when and from where.

Rows are only ever inserted. A database trigger refuses UPDATE, and DELETE of
any row younger than the shortest retention (migrations 0002 and 0005); the
retention purge deletes rows older than ``AUDIT_RETENTION_MONTHS``. The admin
is read-only, and no page or API edits them.
References to accounts, identities and appointments are kept without
foreign-key constraints, with a snapshot of what identifies them, so that
the trail outlives an erased account.
"""

from __future__ import annotations

import json

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    # Bookings
    APPOINTMENT_BOOKED = "appointment.booked", _("Appointment booked")
    APPOINTMENT_CANCELLED = "appointment.cancelled", _("Appointment cancelled")
    APPOINTMENT_RESCHEDULED = "appointment.rescheduled", _("Appointment rescheduled")
    SLOTS_PUBLISHED = "slots.published", _("Capacity published")
    APPOINTMENTS_CLOSED = "appointments.closed", _("Past appointments closed")
    # The counter (booking.services.counter); a refused check-in is what the
    # abuse report reads (the site in the details, never the typed number).
    APPOINTMENT_CHECKED_IN = "appointment.checked_in", _("Appointment checked in")
    APPOINTMENT_CHECK_IN_REFUSED = (
        "appointment.check_in_refused",
        _("Check-in refused: another document"),
    )
    APPOINTMENT_CHECK_IN_OVERRIDDEN = (
        "appointment.check_in_overridden",
        _("Check-in forced by a supervisor"),
    )
    APPOINTMENT_DONE = "appointment.done", _("Appointment done")
    NO_SHOWS_MARKED = "appointments.no_shows", _("No-shows of a day marked")
    APPOINTMENTS_ANONYMISED = "appointments.anonymised", _("Appointments past retention anonymised")
    CLOSURE_CREATED = "closure.created", _("Slots closed")
    CLOSURE_LIFTED = "closure.lifted", _("Closure lifted")
    # Identities
    IDENTITY_RECORDED = "identity.recorded", _("Identity recorded")
    IDENTITY_CORRECTED = "identity.corrected", _("Identity corrected")
    IDENTITY_CLAIM_REFUSED = "identity.claim_refused", _("Identity claim refused")
    IDENTITY_CLAIMED = "identity.claimed", _("Walk-in's file taken over by an account")
    IDENTITY_ERASED = "identity.erased", _("Identity erased")
    IDENTITY_FOUND_ON_FILE = (
        "identity.found_on_file",
        _("Identity already on file, found by staff registering it"),
    )
    # Accounts
    ACCOUNT_CREATED = "account.created", _("Account created")
    ACCOUNT_DELETED = "account.deleted", _("Account deleted")
    ACCOUNT_ROLE_CHANGED = "account.role_changed", _("Role or attachment changed")
    ACCOUNT_DEACTIVATED = "account.deactivated", _("Account deactivated")
    ACCOUNT_REACTIVATED = "account.reactivated", _("Account reactivated")
    ACCOUNT_UNLOCKED = "account.unlocked", _("Login lock-out lifted")
    CONTACT_CHANGED = "account.contact_changed", _("E-mail or phone changed")
    PASSWORD_CHANGED = "account.password_changed", _("Password changed")
    OTP_DEVICE_CONFIRMED = "otp.device_confirmed", _("Two-factor device confirmed")
    OTP_DEVICE_REMOVED = "otp.device_removed", _("Two-factor device removed")
    TOKEN_CREATED = "token.created", _("API token issued")
    TOKEN_REVOKED = "token.revoked", _("API token revoked")
    SESSIONS_ENDED = "account.sessions_ended", _("Sessions ended")
    # The abuse report's suspension (backoffice.abuse): the reason in the details;
    # the appointments it cancels carry {"suspension": <this row's id>}.
    ACCOUNT_SUSPENDED = "account.suspended", _("Account suspended for abuse")
    ACCOUNT_SUSPENSION_LIFTED = "account.suspension_lifted", _("Account suspension lifted")
    PERSONAL_DATA_EXPORTED = "personal_data.exported", _("Personal data exported")
    ADMIN_CHANGED = "admin.changed", _("Changed in the admin")
    # Documents
    CONVOCATION_PRINTED = "convocation.printed", _("Convocation printed for someone")
    # The substitution route (the request's id in the details)
    SUBSTITUTION_REQUESTED = "substitution.requested", _("Substitution request received")
    SUBSTITUTION_TAKEN = "substitution.taken", _("Substitution request taken in hand")
    SUBSTITUTION_ANSWERED = "substitution.answered", _("Substitution request answered")
    SUBSTITUTION_LETTER = "substitution.letter", _("Substitution answer letter printed")
    SUBSTITUTION_PURGED = "substitution.purged", _("Substitution requests past retention deleted")
    # The record of attempts (the record's id, who issued it as what, the access point)
    ATTEMPTS_RECORD_ISSUED = "attempts.record_issued", _("Record of attempts issued")
    ATTEMPTS_PURGED = "attempts.purged", _("Records of attempts past retention deleted")
    # Reference data
    ACCESS_POINT_CREATED = "access_point.created", _("Access point created")
    ACCESS_POINT_CHANGED = "access_point.changed", _("Access point changed")
    ACCESS_POINT_HOURS_CHANGED = "access_point.hours_changed", _("Access point hours changed")
    # Mediation
    CONSENT_GIVEN = "consent.given", _("Consent given to an access point")
    CONSENT_WITHDRAWN = "consent.withdrawn", _("Consent withdrawn")
    CAP_RAISED = "mediation.cap_raised", _("Daily booking cap raised")
    # Court-ordered convocations (the injunction's id in the details)
    INJUNCTION_RECORDED = "injunction.recorded", _("Court order recorded")
    INJUNCTION_CONVOKED = "injunction.convoked", _("Court order served by an appointment")
    INJUNCTION_REOPENED = "injunction.reopened", _("Court order open again (appointment cancelled)")
    # Fair allocation (the entry's or the offer's id in the details)
    ALLOCATION_MODE_SET = "allocation.mode_set", _("Allocation mode changed")
    WAITLIST_JOINED = "waitlist.joined", _("Joined the waiting list")
    WAITLIST_LEFT = "waitlist.left", _("Left the waiting list")
    WAITLIST_RESUMED = "waitlist.resumed", _("Waiting-list entry resumed")
    WAITLIST_CHANGED = "waitlist.changed", _("Waiting-list entry's places or days changed")
    WAITLIST_PERMIT_SET = "waitlist.permit_set", _("Residence permit expiry recorded on an entry")
    WAITLIST_RECLASSIFIED = "waitlist.reclassified", _("Waiting-list entry changed priority")
    OFFERS_MADE = "offers.made", _("Seats offered to the waiting list")
    OFFER_ACCEPTED = "offer.accepted", _("Offer accepted")
    OFFER_DECLINED = "offer.declined", _("Offer declined")
    OFFERS_EXPIRED = "offers.expired", _("Offers expired")
    OFFERS_WITHDRAWN = "offers.withdrawn", _("Offers withdrawn")
    # The trail itself
    AUDIT_EXPORTED = "audit.exported", _("Audit trail exported")
    AUDIT_PURGED = "audit.purged", _("Audit rows past retention deleted")
    # Capacity changed in the back office (the slot, its site and procedure, before and after)
    SLOT_CAPACITY_CHANGED = "slot.capacity_changed", _("Slot capacity changed")
    SLOT_COUNTERS_MOVED = "slot.counters_moved", _("Counters moved between pools")


class AuditEvent(models.Model):
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    action = models.CharField(_("what"), max_length=40, choices=AuditAction.choices)
    # Who: the account (kept without a constraint: it may be erased later) and
    # a snapshot of its e-mail and role at that moment.
    actor = models.ForeignKey(
        "accounts.User",
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(_("who (at the time)"), max_length=254, blank=True)
    actor_role = models.CharField(_("role"), max_length=16, blank=True)
    # On which account, identity or appointment.
    subject_user = models.ForeignKey(
        "accounts.User",
        verbose_name=_("account concerned"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    applicant = models.ForeignKey(
        "booking.Applicant",
        verbose_name=_("applicant"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    appointment = models.ForeignKey(
        "booking.Appointment",
        verbose_name=_("appointment"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    appointment_reference = models.CharField(_("appointment reference"), max_length=8, blank=True)
    ip = models.GenericIPAddressField(_("from"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["-occurred_at"], name="audit_occurred_idx"),
            models.Index(fields=["actor", "-occurred_at"], name="audit_actor_idx"),
            models.Index(fields=["applicant", "-occurred_at"], name="audit_applicant_idx"),
            models.Index(fields=["appointment_reference"], name="audit_reference_idx"),
            models.Index(fields=["action", "-occurred_at"], name="audit_action_idx"),
            # The supervisors' search by e-mail: it still finds an erased account's actions.
            models.Index(fields=["actor_label", "-occurred_at"], name="audit_actor_label_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label or '-'} {self.action}"

    @property
    def details_text(self) -> str:
        """The details as one line of JSON, for the search page and the admin."""
        return json.dumps(self.details, ensure_ascii=False, sort_keys=True)
