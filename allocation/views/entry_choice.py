"""What the pages that change an entry's places and days share: the
applicant's (``allocation.views.applicant``) and the staff's
(``allocation.views.on_behalf``)."""

from __future__ import annotations

from django import forms

from accounts.models import User
from allocation import services
from core.errors import DomainError
from core.views import domain_error_message


def entry_choice_saved(form: forms.Form, *, actor: User, entry_id: int) -> bool:
    """Change the entry's places and days to the valid ``form``'s ``sites`` and
    ``weekdays_excluded`` (``services.waitlist_entry_change``); a refusal is
    the form's error, in the user's language. Whether it was saved."""
    try:
        services.waitlist_entry_change(
            actor=actor,
            entry=entry_id,
            site_ids=form.cleaned_data["sites"],
            weekdays_excluded=form.cleaned_data["weekdays_excluded"],
        )
    except DomainError as exc:
        form.add_error(None, domain_error_message(exc))
        return False
    return True
