"""Typed errors of the account services, each with a stable ``code``."""

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, Forbidden, InvalidInput


class EmailTaken(Conflict):
    code = "email_taken"
    default_message = _(
        "An account with this e-mail address already exists. Log in, or reset your password "
        "if you have forgotten it."
    )


class InvalidPhone(InvalidInput):
    code = "invalid_phone"
    default_message = _("Enter a valid mobile phone number, for example 06 12 34 56 78.")


class PhoneRegionNotAllowed(InvalidPhone):
    code = "phone_region_not_allowed"
    default_message = _(
        "Enter a mobile number of France or of a French overseas territory, "
        "for example 06 12 34 56 78."
    )


class WeakPassword(InvalidInput):
    code = "weak_password"
    default_message = _("This password is not strong enough.")


class ConsentRequired(InvalidInput):
    # Not mediation's ``consent_required`` (a person's consent to a mediator).
    code = "data_consent_required"
    default_message = _("Tick the box to agree to the use of your data.")


class ConfirmationLinkInvalid(Conflict):
    code = "confirmation_link_invalid"
    default_message = _(
        "This confirmation link is not valid: it has expired or has already been used. "
        "Ask for a new one from your account page."
    )


class PhoneCodeInvalid(InvalidInput):
    code = "phone_code_invalid"
    default_message = _("This code is not the one we sent. Check it and try again.")


class PhoneCodeExpired(Conflict):
    code = "phone_code_expired"
    default_message = _("This code has expired or was tried too many times. Ask for a new one.")


class PhoneCodeTooSoon(Conflict):
    code = "phone_code_too_soon"
    default_message = _(
        "A code was sent less than a minute ago. Wait a little before asking again."
    )


class PhoneCapReached(Conflict):
    code = "phone_cap_reached"
    default_message = _(
        "This mobile number already confirms the largest number of accounts allowed "
        "(%(cap)s). Use another number, or ask a digital access point for help."
    )


class NothingToConfirm(Conflict):
    code = "nothing_to_confirm"
    default_message = _("There is nothing to confirm.")


class WrongPassword(Forbidden):
    code = "wrong_password"
    default_message = _("The password is not correct.")


class IdentityLocked(Conflict):
    code = "identity_locked"
    default_message = _(
        "This identity is used by an appointment: it can no longer be changed here. "
        "Only a prefecture agent can correct it."
    )


# --- Staff accounts, two-factor authentication, API tokens ----------------------------


class OtpRequired(Forbidden):
    code = "otp_required"
    default_message = _(
        "A second-factor code is required: the 6-digit code of your authenticator app, "
        "or one of your backup codes."
    )


class InvalidOtp(InvalidInput):
    code = "invalid_otp"
    default_message = _(
        "This code is not valid. Check the time on your phone, or use one of your backup codes."
    )


class OtpMandatory(Forbidden):
    code = "otp_mandatory"
    default_message = _(
        "Two-factor authentication is mandatory for staff accounts: it cannot be turned off."
    )


class InvalidStaffRole(InvalidInput):
    code = "invalid_staff_role"
    default_message = _("Choose a staff role: mediator, prefecture agent or supervisor.")


class AgentSitesRequired(InvalidInput):
    code = "agent_sites_required"
    default_message = _("A prefecture agent works for at least one site: choose it.")


class MediatorAccessPointRequired(InvalidInput):
    code = "mediator_access_point_required"
    default_message = _("A mediator belongs to an access point: choose it.")


class StaffSelfChange(Conflict):
    code = "staff_self_change"
    default_message = _(
        "You cannot change your own role or deactivate your own account: ask another supervisor."
    )


class CorrectionReasonRequired(InvalidInput):
    code = "correction_reason_required"
    default_message = _("Give the reason for the correction: it is recorded in the audit trail.")


class IdentityUnchanged(Conflict):
    code = "identity_unchanged"
    default_message = _("Nothing to correct: this is the identity already on file.")


class InvalidCredentials(InvalidInput):
    code = "invalid_credentials"
    default_message = _("The e-mail address or the password is wrong.")


class AccountSuspended(Forbidden):
    # A request that passed the login check just before a supervisor suspended
    # the account (``accounts.suspension``): nothing was written.
    code = "account_suspended"
    default_message = _("This account is suspended: nothing was done.")
