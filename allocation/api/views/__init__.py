"""The waiting list and its offers through the API. One module per resource
(``waitlist``, ``offers``) and what they share (``common``); the views are
re-exported here for ``allocation.api.urls``."""

from allocation.api.views.offers import (
    OfferAcceptView,
    OfferDeclineView,
    OfferDetailView,
    OfferListView,
)
from allocation.api.views.waitlist import (
    WaitlistEntryView,
    WaitlistResumeView,
    WaitlistView,
    waitlist_join_request,
)

__all__ = [
    "OfferAcceptView",
    "OfferDeclineView",
    "OfferDetailView",
    "OfferListView",
    "WaitlistEntryView",
    "WaitlistResumeView",
    "WaitlistView",
    "waitlist_join_request",
]
