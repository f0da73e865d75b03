"""The accessibility visits of fair allocation: the applicant's waiting-list pages
and the offer link, the staff's waiting-list screens, the abuse report,
transparency."""

from __future__ import annotations

from tests.helpers import waitlist_pages, wstaff
from tests.helpers.abuse import abuse_seeded, account_suspended
from tests.helpers.accessibility.visits import Visit
from tests.helpers.transparency import transparency_figures as _transp_state

ALLOCATION_PAGES: dict[str, list[Visit]] = {
    # --- Fair allocation: the applicant's waiting-list pages and the offer link
    "allocation:mine": [
        Visit("other_applicant", label="empty list"),
        Visit("applicant", state=waitlist_pages.entry_waiting, label="entry waiting"),
        Visit("applicant", state=waitlist_pages.open_offer, label="open offer"),
        Visit("applicant", state=waitlist_pages.entry_paused, label="paused entry"),
    ],
    "allocation:join": [
        Visit(
            "applicant",
            kwargs=lambda s: {"procedure": waitlist_pages.LISTED},
            state=waitlist_pages.list_procedure,
        ),
        Visit(
            "applicant",
            kwargs=lambda s: {"procedure": waitlist_pages.LISTED},
            state=waitlist_pages.list_procedure,
            errors={},
            form="main form[method=post]",
        ),
    ],
    "allocation:leave": [
        Visit("applicant", kwargs=waitlist_pages.visit_entry, state=waitlist_pages.open_offer)
    ],
    "allocation:change": [
        Visit("applicant", kwargs=waitlist_pages.visit_entry, state=waitlist_pages.open_offer)
    ],
    "allocation:offer": [
        Visit("applicant", kwargs=waitlist_pages.visit_offer, state=waitlist_pages.open_offer),
        Visit(
            "applicant",
            kwargs=waitlist_pages.visit_offer,
            state=waitlist_pages.open_offer,
            query={"decline": "1"},
            label="confirm the decline",
        ),
    ],
    "allocation:offer_link": [
        Visit(
            "anonymous",
            kwargs=waitlist_pages.visit_link,
            state=waitlist_pages.open_offer,
            label="open",
        ),
        Visit(
            "anonymous",
            kwargs=waitlist_pages.visit_link,
            state=waitlist_pages.offer_expired,
            label="expired",
        ),
        Visit(
            "anonymous",
            kwargs=waitlist_pages.visit_link,
            state=waitlist_pages.entry_paused,
            label="paused: resume",
        ),
    ],
    # --- Fair allocation: the staff's waiting-list screens, allocation modes
    "mediation:waitlist_join": [
        Visit(
            "mediator", kwargs=lambda s: {"pk": s.people["walk_in"].pk}, state=wstaff.with_a_list
        ),
        Visit(
            "mediator",
            kwargs=lambda s: {"pk": s.people["helped"].pk},
            state=wstaff.with_a_list,
            errors={"procedure": ""},
        ),
    ],
    "agent:waitlist_join": [
        Visit("agent", kwargs=lambda s: {"pk": s.people["walk_in"].pk}, state=wstaff.with_a_list),
        Visit(
            "agent",
            kwargs=lambda s: {"pk": s.people["applicant"].pk},
            state=wstaff.with_a_list,
            errors={"procedure": ""},
        ),
    ],
    "agent:waitlist_permit": [
        Visit("agent", kwargs=wstaff.entry_kwargs(), state=wstaff.with_a_list),
    ],
    "agent:waitlist_change": [
        Visit("agent", kwargs=wstaff.entry_kwargs(), state=wstaff.with_a_list),
    ],
    "mediation:waitlist_change": [
        Visit("mediator", kwargs=wstaff.entry_kwargs(), state=wstaff.with_a_list),
    ],
    "agent:allocation_modes": [
        Visit("supervisor", state=wstaff.with_a_list),
        Visit("agent", label="read-only"),
        Visit("supervisor", errors={"procedure": ""}),
    ],
    # --- Fair allocation: the abuse report and suspensions
    "agent:abuse": [
        Visit("supervisor", label="every section", state=abuse_seeded),
        Visit(
            "supervisor",
            query={"days": "0"},
            status=400,
            label="a wrong period",
            template="office/abuse/report.html",
        ),
    ],
    "agent:abuse_account": [
        Visit("supervisor", kwargs=lambda s: {"user_id": s.users["other_applicant"].pk}),
        Visit(
            "supervisor",
            kwargs=lambda s: {"user_id": s.users["other_applicant"].pk},
            errors={"reason": ""},
        ),
        Visit(
            "supervisor",
            kwargs=lambda s: {"user_id": s.users["other_applicant"].pk},
            state=account_suspended,
            label="suspended",
        ),
        Visit(
            "supervisor",
            kwargs=lambda s: {"user_id": s.users["agent"].pk},
            label="an agent's account",
        ),
    ],
    # --- Fair allocation: transparency
    "allocation:transparency": [
        Visit("anonymous"),
        Visit("anonymous", label="a waiting list and a publication to come", state=_transp_state),
        Visit("applicant", state=_transp_state),
    ],
}
