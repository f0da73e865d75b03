"""The waiting list's refusals: each a ``core.errors.DomainError`` with a
stable code, translated once by the web and API layers."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, InvalidInput, NotFound


class EntryNotFound(NotFound):
    # Also what an entry the caller may not see answers.
    code = "waitlist_entry_not_found"
    default_message = _("This waiting-list entry does not exist.")


class AlreadyWaiting(Conflict):
    code = "already_waiting"
    default_message = _("This person is already on the waiting list for this procedure.")


class NotGivenOutByList(Conflict):
    # None of the sites chosen gives this procedure out by its waiting list.
    code = "not_given_out_by_list"
    default_message = _(
        "This procedure is not given out by a waiting list at the sites chosen: book a "
        "time in the calendar instead."
    )


class InvalidEntry(InvalidInput):
    code = "invalid_waitlist_entry"
    default_message = _("Choose at least one site, and at least one weekday you can come.")


class EntryNotPaused(Conflict):
    code = "waitlist_entry_not_paused"
    default_message = _("This entry is not paused.")


class OfferNotFound(NotFound):
    # Also what an offer the caller may not see answers.
    code = "offer_not_found"
    default_message = _("This offer does not exist.")


class OfferNotOpen(Conflict):
    code = "offer_not_open"
    default_message = _("This offer has already been answered or withdrawn.")


class OfferExpired(Conflict):
    code = "offer_expired"
    default_message = _("This offer has expired: the seat went to the next person.")
