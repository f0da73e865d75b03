"""Typed errors of the booking services, each with a stable ``code``."""

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, Forbidden, InvalidInput, NotFound


class SlotNotFound(NotFound):
    # Also what a slot the caller may not see answers (``booking.rules``): not
    # yet visible, beyond the horizon, reserved for others, another procedure's.
    code = "slot_not_found"
    default_message = _("This time slot does not exist.")


class AppointmentNotFound(NotFound):
    code = "appointment_not_found"
    default_message = _("This appointment does not exist.")


class ApplicantNotFound(NotFound):
    # Also what a person the caller may not act for answers: no telling the two apart.
    code = "applicant_not_found"
    default_message = _("This person does not exist.")


class AccountNotVerified(Forbidden):
    code = "account_not_verified"
    default_message = _("Confirm your e-mail address and your mobile phone before booking.")


class SlotFull(Conflict):
    code = "slot_full"
    default_message = _("This time slot has just been taken. Please choose another one.")


class AlreadyBooked(Conflict):
    code = "already_booked"
    default_message = _(
        "This person already has an appointment for this procedure. "
        "Cancel or reschedule it instead of booking another one."
    )


class IdentityChanged(Conflict):
    code = "identity_changed"
    default_message = _(
        "The identity on file changed while the appointment was being booked. "
        "Check it and book again."
    )


class SlotInPast(Conflict):
    code = "slot_in_past"
    default_message = _("This time slot has already passed.")


class BookingClosed(Conflict):
    code = "booking_closed"
    default_message = _("It is too late to book or change this time slot.")


class ProcedureNotSelfBookable(Forbidden):
    code = "procedure_not_self_bookable"
    default_message = _(
        "This procedure cannot be booked online by applicants. "
        "A digital access point or the prefecture will book it for you."
    )


class ProcedureUnavailable(Conflict):
    code = "procedure_unavailable"
    default_message = _("This procedure or site is not open for booking.")


class DocumentNotAccepted(Conflict):
    code = "document_not_accepted"
    default_message = _("This procedure requires another identity document: %(required)s.")


class NotAllowed(Forbidden):
    code = "not_allowed"
    default_message = _("You are not allowed to act for this person.")


class AppointmentNotActive(Conflict):
    code = "appointment_not_active"
    default_message = _("This appointment is no longer active.")


class SameSlot(Conflict):
    code = "same_slot"
    default_message = _("The appointment is already at this time.")


class InvalidPublication(InvalidInput):
    code = "invalid_publication"
    default_message = _("The publication is not valid.")


class AppointmentPast(Conflict):
    code = "appointment_past"
    default_message = _("This appointment has already taken place.")


class IdentityMissing(Conflict):
    code = "identity_missing"
    default_message = _("Enter your identity before booking an appointment.")


class InvalidIdentity(InvalidInput):
    code = "invalid_identity"
    default_message = _("The identity is not valid.")


class IdentityTaken(Conflict):
    code = "identity_taken"
    default_message = _(
        "This identity document is already on file with another account. "
        "If it is yours, ask a digital access point or the prefecture for help."
    )


class IdentityAlreadyOnFile(Conflict):
    code = "identity_already_on_file"
    default_message = _("This account already has an identity on file.")


class IdentityClaimRefused(NotFound):
    # One refusal for every reason (no such reference, someone else's, a record
    # that has an account, a date of birth or document that does not match):
    # nothing tells a wrong guess from a near one.
    code = "identity_claim_refused"
    default_message = _(
        "No file matches this booking reference, date of birth and document number. "
        "Check them against the convocation, or ask the access point or the prefecture."
    )


class ClaimAccountNotVerified(AccountNotVerified):
    # The code of any unverified account: clients switch on it already.
    default_message = _(
        "Confirm your e-mail address and your mobile phone before taking over your file."
    )


# --- The counter (booking.services.counter) ----------------------------------------


class DocumentMismatch(Conflict):
    # Recorded in the audit trail (``appointment.check_in_refused``): the abuse
    # report reads it. Nothing else changes.
    code = "document_mismatch"
    default_message = _(
        "The document number does not match the identity of the appointment. "
        "The check-in is refused and recorded."
    )


class AlreadyCheckedIn(Conflict):
    code = "already_checked_in"
    default_message = _("This person is already checked in.")


class NotToday(Conflict):
    code = "not_today"
    default_message = _("This appointment is on %(day)s, not today: check-in is refused.")


class NotCheckedIn(Conflict):
    code = "not_checked_in"
    default_message = _("This person is not checked in.")


class SupervisorsOnly(Forbidden):
    code = "supervisors_only"
    default_message = _("Only a supervisor may force a check-in.")


class ReasonRequired(InvalidInput):
    code = "reason_required"
    default_message = _("Give the reason.")


class SiteNotFound(NotFound):
    # Also what a site the agent does not serve answers.
    code = "site_not_found"
    default_message = _("This site does not exist.")


class NoShowCooling(Forbidden):
    # After repeated no-shows (``booking.rules.no_show_block_until``): the person
    # may book this procedure again from ``until``. 403, as the other refusals
    # that are about the person rather than the slot (``account_not_verified``).
    code = "no_show_cooling"
    default_message = _(
        "Missed appointments for this procedure: %(count)s within %(months)s months, "
        "without cancelling. It cannot be booked again before %(until)s."
    )


class CancelCooling(Forbidden):
    # The person cancelled an appointment of this ``open`` procedure a short
    # while ago (``booking.rules.cancel_block_until``): against the seller who
    # lets a seat go at an agreed second and would take it back unsold.
    code = "cancel_cooling"
    default_message = _(
        "You cancelled an appointment for this procedure recently. It can be booked "
        "again from %(until)s."
    )


class SeatNotHeld(Conflict):
    # Booking a held seat (an accepted offer) found no hold left on the slot.
    code = "seat_not_held"
    default_message = _("This seat is no longer held for you.")


# --- Closures (booking.services.closures) ------------------------------------------------


class ClosureNotFound(NotFound):
    # Also what a closure of another agent's site answers.
    code = "closure_not_found"
    default_message = _("This closure does not exist.")


class ClosureRangeInvalid(InvalidInput):
    code = "closure_range_invalid"
    default_message = _(
        "The end of the closure must come after its start, and a closure may cover at most 92 days."
    )


class ClosureReasonMissing(InvalidInput):
    code = "closure_reason_missing"
    default_message = _("Give the reason for the closure: it is sent to the people concerned.")


class ClosureAlreadyLifted(Conflict):
    code = "closure_already_lifted"
    default_message = _("This closure has already been lifted.")


# --- Court-ordered convocations (booking.services.injunctions) --------------------------


class InjunctionNotFound(NotFound):
    # Also what an order of another site answers: no telling the two apart.
    code = "injunction_not_found"
    default_message = _("This court order does not exist.")


class InvalidInjunction(InvalidInput):
    code = "invalid_injunction"
    default_message = _("The court order is not valid.")


class InjunctionAlreadyRecorded(Conflict):
    code = "injunction_already_recorded"
    default_message = _("This court order is already recorded for this person and this procedure.")


class InjunctionAlreadyServed(Conflict):
    code = "injunction_already_served"
    default_message = _(
        "This court order is already served by an appointment. Cancel that appointment "
        "first to book another one."
    )


class SlotAfterDeadline(Conflict):
    code = "slot_after_deadline"
    default_message = _(
        "This time is after the deadline set by the court (%(deadline)s). "
        "Choose a time on or before that day."
    )


# --- Changing capacity (the back office) -------------------------------------------


class CapacityBelowBooked(Conflict):
    code = "capacity_below_booked"
    default_message = _(
        "%(booked)s seats of this time slot are booked: its capacity cannot go below that."
    )


class NotEnoughFreeCounters(Conflict):
    code = "not_enough_free_counters"
    default_message = _("Only %(free)s counters of this pool are free at this time.")


class InvalidCapacityChange(InvalidInput):
    code = "invalid_capacity_change"
    default_message = _("The change of capacity is not valid.")


class ProcedureNotFound(NotFound):
    code = "procedure_not_found"
    default_message = _("This procedure does not exist.")
