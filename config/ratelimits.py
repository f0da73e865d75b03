"""The rate limits (core/ratelimit.py) of every scope: (requests, seconds) per
scope and key (account, client address, phone, e-mail, identity), each
overridable from the environment (``RATELIMIT_<SCOPE>_<KEY>``, config/env.py's
``env_rate``). Loaded by ``config.settings``.
"""

from __future__ import annotations

from config.env import env_rate

# Rate limits (core/ratelimit.py): (requests, seconds) per scope and key, counted
# in fixed windows in the cache (Redis in production: shared by every process).
RATELIMITS = {
    # Every authenticate() with a request: both login forms and the token endpoint.
    "login": {"ip": env_rate("RATELIMIT_LOGIN_IP", "30/10m")},
    "register": {"ip": env_rate("RATELIMIT_REGISTER_IP", "20/h")},
    # SMS codes: per account, per number (across accounts) and per client address.
    "phone_code": {
        "account": env_rate("RATELIMIT_PHONE_CODE_ACCOUNT", "5/h"),
        "phone": env_rate("RATELIMIT_PHONE_CODE_PHONE", "5/h"),
        "ip": env_rate("RATELIMIT_PHONE_CODE_IP", "30/h"),
    },
    # Confirmation e-mails (registration, a new link, a change of address): per
    # account, per recipient address (across accounts) and per client address.
    "email_confirm": {
        "account": env_rate("RATELIMIT_EMAIL_CONFIRM_ACCOUNT", "5/h"),
        "email": env_rate("RATELIMIT_EMAIL_CONFIRM_EMAIL", "5/h"),
        "ip": env_rate("RATELIMIT_EMAIL_CONFIRM_IP", "30/h"),
    },
    # Password-reset e-mails, counted whether the address has an account or not.
    "password_reset": {
        "account": env_rate("RATELIMIT_PASSWORD_RESET_ACCOUNT", "5/h"),
        "email": env_rate("RATELIMIT_PASSWORD_RESET_EMAIL", "5/h"),
        "ip": env_rate("RATELIMIT_PASSWORD_RESET_IP", "20/h"),
    },
    # Staff invitations (creation and resend): per acting account, recipient, address.
    "staff_invite": {
        "account": env_rate("RATELIMIT_STAFF_INVITE_ACCOUNT", "30/h"),
        "email": env_rate("RATELIMIT_STAFF_INVITE_EMAIL", "5/h"),
        "ip": env_rate("RATELIMIT_STAFF_INVITE_IP", "60/h"),
    },
    "availability": {
        "account": env_rate("RATELIMIT_AVAILABILITY_ACCOUNT", "120/m"),
        "ip": env_rate("RATELIMIT_AVAILABILITY_IP", "600/m"),
    },
    # The substitution route (public, no account): each request per client address,
    # per identity (its document) and per contact given (each request sends it an
    # acknowledgment); the status lookup (tracking number + birth date) per address.
    "substitution": {
        "ip": env_rate("RATELIMIT_SUBSTITUTION_IP", "10/h"),
        "identity": env_rate("RATELIMIT_SUBSTITUTION_IDENTITY", "3/d"),
        "phone": env_rate("RATELIMIT_SUBSTITUTION_PHONE", "3/d"),
        "email": env_rate("RATELIMIT_SUBSTITUTION_EMAIL", "3/d"),
    },
    "substitution_status": {"ip": env_rate("RATELIMIT_SUBSTITUTION_STATUS_IP", "30/h")},
    # Mediation's writes: walk-ins registered, consents given and withdrawn.
    "mediation": {
        "account": env_rate("RATELIMIT_MEDIATION_ACCOUNT", "60/m"),
        "ip": env_rate("RATELIMIT_MEDIATION_IP", "300/m"),
    },
    # A mediator's searches of a person by document number and date of birth.
    "people_find": {
        "account": env_rate("RATELIMIT_PEOPLE_FIND_ACCOUNT", "60/h"),
        "ip": env_rate("RATELIMIT_PEOPLE_FIND_IP", "300/h"),
    },
    # Booking, cancelling and rescheduling (the reads of one's appointments are free).
    "booking": {
        "account": env_rate("RATELIMIT_BOOKING_ACCOUNT", "10/m"),
        "ip": env_rate("RATELIMIT_BOOKING_IP", "120/m"),
    },
    # Convocations (the page and the PDF, web and API): a PDF costs CPU, and staff
    # printing one for someone writes an audit row. Per account and address.
    "convocation": {
        "account": env_rate("RATELIMIT_CONVOCATION_ACCOUNT", "60/h"),
        "ip": env_rate("RATELIMIT_CONVOCATION_IP", "300/h"),
    },
    # Records of attempts issued (each one a row, a PDF): per account and address.
    "attempts_issue": {
        "account": env_rate("RATELIMIT_ATTEMPTS_ISSUE_ACCOUNT", "10/h"),
        "ip": env_rate("RATELIMIT_ATTEMPTS_ISSUE_IP", "60/h"),
    },
    # The public verification page: per address (the codes are unguessable anyway).
    "attempts_verify": {"ip": env_rate("RATELIMIT_ATTEMPTS_VERIFY_IP", "30/10m")},
    # Taking over a walk-in's file (booking.services.applicant_claim): every try
    # counts, matched or not, so the reference, the date of birth and the
    # document number cannot be guessed by trying.
    "identity_claim": {
        "account": env_rate("RATELIMIT_IDENTITY_CLAIM_ACCOUNT", "5/h"),
        "ip": env_rate("RATELIMIT_IDENTITY_CLAIM_IP", "20/h"),
    },
    # Check-ins, "done" and closing a day at the counter, per account and address.
    "counter": {
        "account": env_rate("RATELIMIT_COUNTER_ACCOUNT", "120/m"),
        "ip": env_rate("RATELIMIT_COUNTER_IP", "600/m"),
    },
    # Closing and lifting (each closure cancels appointments and sends messages).
    "closures": {
        "account": env_rate("RATELIMIT_CLOSURES_ACCOUNT", "30/h"),
        "ip": env_rate("RATELIMIT_CLOSURES_IP", "120/h"),
    },
    # Recording a court order and booking its convocation (pages and API): per
    # account and client address.
    "injunctions": {
        "account": env_rate("RATELIMIT_INJUNCTIONS_ACCOUNT", "60/h"),
        "ip": env_rate("RATELIMIT_INJUNCTIONS_IP", "300/h"),
    },
    # --- Back office: people ---------------------------------------------------------
    # Agents' searches of a person (reference, document number, surname and date of
    # birth), per account and per client address.
    "agent_search": {
        "account": env_rate("RATELIMIT_AGENT_SEARCH_ACCOUNT", "120/h"),
        "ip": env_rate("RATELIMIT_AGENT_SEARCH_IP", "600/h"),
    },
    # Agents registering a walk-in, booking, cancelling and moving for someone.
    "agent_booking": {
        "account": env_rate("RATELIMIT_AGENT_BOOKING_ACCOUNT", "60/m"),
        "ip": env_rate("RATELIMIT_AGENT_BOOKING_IP", "300/m"),
    },
    # --- Back office: capacity ---
    # Agents' changes of capacity: previews and publications, a slot's capacity,
    # counters moved between pools (pages and API). Per account and client address.
    "capacity": {
        "account": env_rate("RATELIMIT_CAPACITY_ACCOUNT", "300/h"),
        "ip": env_rate("RATELIMIT_CAPACITY_IP", "1200/h"),
    },
    # --- Fair allocation: the waiting list ---
    # Joining a waiting list (each join a record, and maybe an offer), whatever the
    # route: the applicant's page, the API, the mediators' console, the back
    # office. One budget, so alternating routes does not double it. Per account
    # (staff join for the people they help) and per client address. Leaving,
    # resuming and answering an offer count in ``booking`` (pages and API, like
    # cancelling; ``agent_booking`` in the back office).
    "waitlist_join": {
        "account": env_rate("RATELIMIT_WAITLIST_JOIN_ACCOUNT", "30/h"),
        "ip": env_rate("RATELIMIT_WAITLIST_JOIN_IP", "300/h"),
    },
    # The offer's link page (no login, the token is the authority): every request,
    # read or answer, per client address, so tokens cannot be tried in bulk.
    "offer_link": {"ip": env_rate("RATELIMIT_OFFER_LINK_IP", "60/h")},
    # --- Fair allocation: transparency ---
    # The public transparency page and its API (every GET), per client address.
    "transparency": {"ip": env_rate("RATELIMIT_TRANSPARENCY_IP", "120/m")},
    # --- Fair allocation: the proof-of-work ---
    # Challenges handed out (GET /api/v1/challenge/, the widget of every protected
    # form fetches one), per client address.
    "challenge": {
        "ip": env_rate("RATELIMIT_CHALLENGE_IP", "120/m"),
    },
    # --- Fair allocation: the abuse report ---
    # Supervisors suspending an account or lifting a suspension (each tells the
    # person): per account and client address.
    "abuse_suspensions": {
        "account": env_rate("RATELIMIT_ABUSE_SUSPENSIONS_ACCOUNT", "30/h"),
        "ip": env_rate("RATELIMIT_ABUSE_SUSPENSIONS_IP", "120/h"),
    },
}
