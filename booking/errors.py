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


class SiteNotFound(NotFound):
    # Also what a site that is not the agent's answers.
    code = "site_not_found"
    default_message = _("This site does not exist.")


class ProcedureNotFound(NotFound):
    code = "procedure_not_found"
    default_message = _("This procedure does not exist.")
