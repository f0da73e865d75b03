"""The applicant's identity page once an identity is on file, and what any
identity form shows when an identity is refused.

``booking.views.identity`` records a first identity and hands over to
``identity_on_file`` when there is one already.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.errors import IdentityLocked
from booking.errors import IdentityTaken, InvalidIdentity
from booking.identity.forms import IdentityCorrectionForm
from booking.identity.normalize import identity_key
from booking.identity.selectors import applicant_of
from booking.identity.value import Identity
from booking.services import (
    identity_claim_attempt_record,
    identity_correct,
    identity_is_locked,
)
from core.client import client_address
from core.errors import DomainError
from core.views import domain_error_message


def identity_refused(request: HttpRequest, form, exc: DomainError) -> None:
    """Show why an identity was refused on ``form``; a document already on file
    with another account is recorded for the abuse report."""
    if isinstance(exc, IdentityTaken):
        data = form.cleaned_data
        identity_claim_attempt_record(
            account=request.user,
            identity_key=identity_key(
                document_type=data["document_type"],
                document_number=data["document_number"],
                nationality=str(data["nationality"]),
            ),
            ip=client_address(request),
        )
    form.add_error(None, domain_error_message(exc))


def identity_on_file(request: HttpRequest, applicant, next_url: str) -> HttpResponse:
    """The identity page once an identity is on file (called by ``booking.views.identity``).

    Until an appointment uses it the applicant may correct it (``?edit``);
    after that it is shown read-only, with how to get a correction.
    """
    locked = identity_is_locked(applicant)
    # Only a post from the correction form corrects: any other post changes nothing.
    editing = not locked and ("edit" in request.GET or "edit" in request.POST)
    if request.method == "POST" and not editing:
        return redirect(next_url)
    form = None
    if editing:
        initial = Identity.of(applicant).as_dict()
        form = IdentityCorrectionForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                identity_correct(user=request.user, identity=Identity.from_form(form.cleaned_data))
            except (InvalidIdentity, IdentityTaken, IdentityLocked) as exc:
                identity_refused(request, form, exc)
            else:
                messages.success(request, _("Your identity is corrected."))
                return redirect(next_url)
    return render(
        request,
        "accounts/identity.html",
        {"applicant": applicant, "locked": locked, "form": form, "next": next_url},
    )


def account_page_identity(user) -> dict:
    """What "My account" shows of ``user``'s identity: the record on file, if
    any, and whether an appointment uses it (``accounts.hooks.account_page_shown``)."""
    applicant = applicant_of(user)
    return {
        "applicant": applicant,
        "identity_locked": applicant is not None and identity_is_locked(applicant),
    }
