"""Forms of the applicant's identity pages that are not the booking path's."""

from __future__ import annotations

from booking.forms import IdentityForm


class IdentityCorrectionForm(IdentityForm):
    """The identity fields only: contact details are the account's."""

    phone = None
    email = None
