"""The matrix's cases for fair allocation: the waiting list, its offers, and
what keeps the allocation fair.

The applicant's waiting-list pages and the offer link; the staff's
waiting-list screens (the console's and the back office's) and the allocation
modes; the waiting-list and offers API; the proof-of-work challenge; the abuse
report and suspensions, on the pages and through the API; transparency.
"""

from __future__ import annotations

from tests.helpers import waitlist_api_world, wstaff
from tests.helpers.matrix.data import _person
from tests.helpers.matrix.expectations import (
    ANY_REDIRECT,
    API_READ,
    PUBLIC,
    REDIRECT,
    Case,
    api_visible,
    api_writes,
    applicant_page,
    console,
    office,
    outcomes,
    supervisors_only,
)
from tests.helpers.waitlist_pages import waitlist_state

CASES: dict[str, list[Case]] = {
    # --- Fair allocation: the applicant's waiting-list pages and the offer link
    # The applicant is on the list of ``listed`` with an open offer (waitlist_pages);
    # the other applicant is not: another's entry or offer is a 404, like none.
    "allocation:mine": [Case(applicant_page())],
    "allocation:join": [
        Case(
            applicant_page(REDIRECT, 200),
            kwargs=lambda s: {"procedure": waitlist_state(s).procedure.slug},
            label="on the list already: sent to it",
        ),
        Case(
            applicant_page(REDIRECT),
            kwargs=lambda s: {"procedure": waitlist_state(s).procedure.slug},
            method="POST",
            data=lambda s: {"sites": [s.sites["site"].pk]},
            label="join",
        ),
    ],
    "allocation:leave": [
        Case(applicant_page(200, 404), kwargs=lambda s: {"pk": waitlist_state(s).entry.pk}),
        Case(
            applicant_page(REDIRECT, 404),
            kwargs=lambda s: {"pk": waitlist_state(s).entry.pk},
            method="POST",
        ),
    ],
    "allocation:change": [
        Case(applicant_page(200, 404), kwargs=lambda s: {"pk": waitlist_state(s).entry.pk}),
        Case(
            applicant_page(REDIRECT, 404),
            kwargs=lambda s: {"pk": waitlist_state(s).entry.pk},
            method="POST",
            data=lambda s: {"sites": [s.sites["site"].pk], "weekdays_excluded": ["7"]},
        ),
    ],
    "allocation:resume": [
        Case(
            applicant_page(REDIRECT, 404),
            kwargs=lambda s: {"pk": waitlist_state(s).entry.pk},
            method="POST",
            label="not paused: said so",
        )
    ],
    "allocation:offer": [
        Case(applicant_page(200, 404), kwargs=lambda s: {"pk": waitlist_state(s).offer.pk}),
        Case(
            applicant_page(REDIRECT, 404),
            kwargs=lambda s: {"pk": waitlist_state(s).offer.pk},
            method="POST",
            data=lambda s: {"answer": "accept"},
            label="accept",
        ),
    ],
    # No login: the token is the authority; a bad one is the same 404 for everyone.
    "allocation:offer_link": [
        Case(PUBLIC, kwargs=lambda s: {"token": waitlist_state(s).token}),
        Case(outcomes(404), kwargs=lambda s: {"token": "1-" + "0" * 32}, label="bad token"),
        Case(
            ANY_REDIRECT,
            kwargs=lambda s: {"token": waitlist_state(s).token},
            method="POST",
            data=lambda s: {"answer": "decline"},
            label="decline",
        ),
    ],
    # --- Fair allocation: the staff's waiting-list screens, allocation modes
    # The person's entries from the console (the walk-in, consent for the list given)
    # and from the back office (the walk-in has an appointment at the site); an
    # agent elsewhere and another point's mediator get 404, like a missing one.
    "mediation:waitlist_join": [
        Case(console(200, 404), kwargs=_person("walk_in")),
        Case(
            console(REDIRECT, 404),
            kwargs=_person("helped"),
            method="POST",
            data=wstaff.join_data,
            label="joined",
        ),
    ],
    "mediation:waitlist_change": [
        Case(console(200, 404), kwargs=wstaff.entry_kwargs()),
        Case(
            console(REDIRECT, 404),
            kwargs=wstaff.entry_kwargs(),
            method="POST",
            data=wstaff.change_data,
            label="changed",
        ),
    ],
    "mediation:waitlist_leave": [
        Case(console(REDIRECT, 404), kwargs=wstaff.entry_kwargs(), method="POST"),
    ],
    "mediation:waitlist_resume": [
        Case(
            console(REDIRECT, 404), kwargs=wstaff.entry_kwargs(), method="POST", label="not paused"
        ),
    ],
    "mediation:waitlist_offer_accept": [
        Case(console(REDIRECT, 404), kwargs=wstaff.offer_kwargs, method="POST"),
    ],
    "mediation:waitlist_offer_decline": [
        Case(console(REDIRECT, 404), kwargs=wstaff.offer_kwargs, method="POST"),
    ],
    "agent:waitlist_join": [
        Case(office(200, 404), kwargs=_person("walk_in")),
        Case(
            office(REDIRECT, 404),
            kwargs=_person("applicant"),
            method="POST",
            data=wstaff.join_data,
            label="joined",
        ),
    ],
    "agent:waitlist_change": [
        Case(office(200, 404), kwargs=wstaff.entry_kwargs()),
        Case(
            office(REDIRECT, 404),
            kwargs=wstaff.entry_kwargs(),
            method="POST",
            data=wstaff.change_data,
            label="changed",
        ),
    ],
    "agent:waitlist_leave": [
        Case(office(REDIRECT, 404), kwargs=wstaff.entry_kwargs(), method="POST"),
    ],
    "agent:waitlist_resume": [
        Case(
            office(REDIRECT, 404), kwargs=wstaff.entry_kwargs(), method="POST", label="not paused"
        ),
    ],
    "agent:waitlist_permit": [
        Case(office(200, 404), kwargs=wstaff.entry_kwargs()),
        Case(
            office(REDIRECT, 404),
            kwargs=wstaff.entry_kwargs(),
            method="POST",
            data=lambda s: {"permit_expires_on": s.slots["free"].starts_at.date().isoformat()},
            label="recorded",
        ),
    ],
    "agent:waitlist_offer_accept": [
        Case(office(REDIRECT, 404), kwargs=wstaff.offer_kwargs, method="POST"),
    ],
    "agent:waitlist_offer_decline": [
        Case(office(REDIRECT, 404), kwargs=wstaff.offer_kwargs, method="POST"),
    ],
    # Agents read the modes; only supervisors change them (an agent's POST: 403).
    "agent:allocation_modes": [
        Case(office(200)),
        Case(
            supervisors_only(REDIRECT),
            method="POST",
            data=lambda s: {
                "procedure": wstaff.listed_procedure(s).pk,
                "site": "all",
                "mode": "open",
            },
            label="set",
        ),
    ],
    # --- Fair allocation: the waiting-list and offers API
    # (the list's world: tests/helpers/waitlist_api_world.py)
    "api:waitlist": [
        Case(
            outcomes(400, anonymous=401, applicant=200, other_applicant=200),
            label="my entries (staff must name the person)",
        ),
        Case(
            outcomes(
                404,
                anonymous=401,
                mediator=200,
                agent=200,
                other_agent=200,
                supervisor=200,
            ),
            query=lambda s: {"applicant": s.people["walk_in"].pk},
            label="the walk-in's (another site's agent: none of theirs, an empty list)",
        ),
        Case(
            outcomes(400, anonymous=401, applicant=409, other_applicant=409),
            method="POST",
            data=waitlist_api_world.join_body,
            label="join, for oneself: on the list already",
        ),
        Case(
            outcomes(
                404,
                anonymous=401,
                mediator=201,
                agent=201,
                other_agent=403,
                supervisor=201,
            ),
            method="POST",
            data=lambda s: waitlist_api_world.join_body(s, "helped"),
            label="join for the helped person at the site",
        ),
    ],
    "api:waitlist-entry": [
        Case(
            api_visible(applicant=1, agent=1, supervisor=1),
            kwargs=waitlist_api_world.entry_kwargs("own"),
            label="own",
        ),
        Case(
            api_visible(mediator=1, agent=1, supervisor=1),
            kwargs=waitlist_api_world.entry_kwargs("walk_in"),
            label="the walk-in's, at the site",
        ),
        Case(
            api_visible(other_applicant=1, other_agent=1, supervisor=1),
            kwargs=waitlist_api_world.entry_kwargs("others"),
            label="at the other site",
        ),
        Case(
            api_writes(applicant=200, agent=200, supervisor=200),
            method="DELETE",
            kwargs=waitlist_api_world.entry_kwargs("own"),
            label="leave",
        ),
    ],
    "api:waitlist-resume": [
        Case(
            api_writes(applicant=409, agent=409, supervisor=409),
            method="POST",
            kwargs=waitlist_api_world.entry_kwargs("own"),
            label="not paused",
        )
    ],
    "api:offers": [
        Case(API_READ),
        Case(API_READ, query=lambda s: {"status": "open"}, label="the open ones"),
    ],
    "api:offer": [
        Case(
            api_visible(applicant=1, agent=1, supervisor=1),
            kwargs=waitlist_api_world.offer_kwargs("own"),
            label="own",
        ),
        Case(
            api_visible(other_applicant=1, other_agent=1, supervisor=1),
            kwargs=waitlist_api_world.offer_kwargs("others"),
            label="at the other site",
        ),
    ],
    "api:offer-accept": [
        Case(
            api_writes(applicant=201, agent=201, supervisor=201),
            method="POST",
            kwargs=waitlist_api_world.offer_kwargs("own"),
        )
    ],
    "api:offer-decline": [
        Case(
            api_writes(applicant=200, agent=200, supervisor=200),
            method="POST",
            kwargs=waitlist_api_world.offer_kwargs("own"),
        )
    ],
    # --- Fair allocation: the proof-of-work challenge
    "api:challenge": [Case(outcomes(200), label="a challenge, for anyone")],
    # --- Fair allocation: the abuse report and suspensions, the supervisors' pages
    # Supervisors only; the account suspended is another applicant's (the case
    # runs in a savepoint rolled back); lifting an account not suspended says so
    # on the account's page (a redirect).
    "agent:abuse": [
        Case(supervisors_only()),
        Case(supervisors_only(400), query=lambda s: {"days": "0"}, label="a bad period"),
    ],
    "agent:abuse_csv": [Case(supervisors_only(), kwargs=lambda s: {"section": "identities"})],
    "agent:abuse_account": [
        Case(supervisors_only(), kwargs=lambda s: {"user_id": s.users["other_applicant"].pk})
    ],
    "agent:abuse_suspend": [
        Case(
            supervisors_only(REDIRECT),
            method="POST",
            kwargs=lambda s: {"user_id": s.users["other_applicant"].pk},
            data=lambda s: {"reason": "Revente de rendez-vous"},
        )
    ],
    "agent:abuse_lift": [
        Case(
            supervisors_only(REDIRECT),
            method="POST",
            kwargs=lambda s: {"user_id": s.users["other_applicant"].pk},
        )
    ],
    # --- Fair allocation: suspensions through the API
    # The suspension API: supervisors only (403 ``supervisors_only`` for every other
    # account, 401 without credentials); the account suspended is another
    # applicant's (the case runs in a savepoint rolled back); lifting an account
    # that is not suspended is a 409 ``account_not_suspended``.
    "api:agent-suspensions": [Case(outcomes(403, anonymous=401, supervisor=200))],
    "api:agent-account-suspend": [
        Case(
            outcomes(403, anonymous=401, supervisor=200),
            method="POST",
            kwargs=lambda s: {"user_id": s.users["other_applicant"].pk},
            data=lambda s: {"reason": "Revente de rendez-vous"},
        ),
        Case(
            outcomes(403, anonymous=401, supervisor=404),
            method="POST",
            kwargs=lambda s: {"user_id": 999999999},
            data=lambda s: {"reason": "Revente de rendez-vous"},
            label="an account that does not exist",
        ),
    ],
    "api:agent-account-lift": [
        Case(
            outcomes(403, anonymous=401, supervisor=409),
            method="POST",
            kwargs=lambda s: {"user_id": s.users["other_applicant"].pk},
            label="an account not suspended",
        )
    ],
    # --- Fair allocation: transparency
    # Public, page and API: no credentials looked at (a token or a session is ignored).
    "allocation:transparency": [Case(PUBLIC)],
    "api:transparency": [Case(PUBLIC)],
}
