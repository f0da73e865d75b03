"""The waiting list's services (``waitlist``: joining, leaving, resuming;
``allocate``: the allocation; ``offers``: the answers and withdrawals;
``priority``: the classes kept up to date, a closure's people put back),
re-exported here."""

from allocation.services.allocate import offers_allocate
from allocation.services.entries import (
    waitlist_entry_change,
    waitlist_entry_permit_set,
    waitlist_entry_resume,
    waitlist_entry_resume_by_link,
    waitlist_leave,
)
from allocation.services.offers import (
    holds_withdraw,
    offer_accept,
    offer_accept_by_link,
    offer_decline,
    offer_decline_by_link,
    offer_slots_lock,
    offers_expire_due,
    offers_of_the_booked_withdraw,
    offers_withdraw,
)
from allocation.services.priority import (
    entries_after_closure,
    entries_reclassify,
    entries_reclassify_due,
)
from allocation.services.scheduling import allocation_after_commit
from allocation.services.waitlist import queue_sites, waitlist_join

__all__ = [
    "allocation_after_commit",
    "entries_after_closure",
    "entries_reclassify",
    "entries_reclassify_due",
    "holds_withdraw",
    "offer_accept",
    "offer_accept_by_link",
    "offer_decline",
    "offer_decline_by_link",
    "offer_slots_lock",
    "offers_allocate",
    "offers_expire_due",
    "offers_of_the_booked_withdraw",
    "offers_withdraw",
    "queue_sites",
    "waitlist_entry_change",
    "waitlist_entry_permit_set",
    "waitlist_entry_resume",
    "waitlist_entry_resume_by_link",
    "waitlist_join",
    "waitlist_leave",
]
