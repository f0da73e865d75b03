"""Routes bounded in another test module (``BOUNDED_ELSEWHERE``): the test that
bounds them, which ``test_every_route_has_a_query_bound`` checks exists and
counts queries."""

from __future__ import annotations

# Routes bounded in another module: the test that bounds them. Many also have their
# form's action bounded in this package (``FORM_ROUTES``, ``ACCOUNT_ROUTES``,
# ``STAFF_ROUTES``; the login, the password reset, the staff creation): a route
# needs a bound in one place or the other, not both.
_BY_TEST = {
    "tests/test_query_counts.py::test_applicant_page_takes_a_bounded_number_of_queries": [
        "home",
        "accessibility",
        "booking:procedures",
        "booking:sites",
        "booking:days",
        "booking:times",
        "booking:confirm",
        "booking:identity",
        "booking:my_appointments",
        "booking:appointment_detail",
        "booking:appointment_ics",
        "booking:appointment_cancel",
        "booking:appointment_reschedule",
        "booking:appointment_reschedule_confirm",
        "accounts:me",
        "accounts:email_change",
        "accounts:phone_change",
        "accounts:data_export",
        "accounts:delete",
        "accounts:verify",
        "notifications:alerts",
        "notifications:alert_subscribe",
        "notifications:alert_unsubscribe",
        "mediation:points",
        "mediation:substitution",
    ],
    "tests/test_query_counts.py::test_anonymous_page_takes_a_bounded_number_of_queries": [
        "site_map",
        "accounts:login",
        "accounts:register",
        "accounts:password_reset",
    ],
    "tests/test_query_counts.py::test_changing_the_language_takes_a_bounded_number_of_queries": [
        "accounts:language"
    ],
    "tests/test_query_counts.py::test_api_read_takes_a_bounded_number_of_queries": [
        "api:sites",
        "api:procedures",
        "api:availability",
        "api:appointments",
        "api:appointment-detail",
        "api:schema",
    ],
    "tests/test_query_counts.py::test_api_cancelling_takes_a_bounded_number_of_queries": [
        "api:appointment-cancel"
    ],
    "tests/test_query_counts.py::test_api_rescheduling_takes_a_bounded_number_of_queries": [
        "api:appointment-reschedule"
    ],
    "tests/test_query_counts.py::test_api_token_takes_a_bounded_number_of_queries": [
        "api:auth-token"
    ],
    "tests/test_query_counts.py::test_api_publication_takes_a_bounded_number_of_queries": [
        "api:agent-publications"
    ],
    "tests/test_query_counts_staff.py::test_staff_page_queries_do_not_grow_with_its_rows": [
        "staff:list",
        "staff:edit",
        "staff:create",
        "accounts:lockouts",
        "accounts:tokens",
        "accounts:otp_backup_codes",
        "agent:identity_correct",
    ],
    "tests/test_query_counts_staff.py::test_api_token_list_queries_do_not_grow_with_the_tokens": [
        "api:auth-tokens"
    ],
    "tests/backoffice/test_audit_search.py::test_query_count_is_bounded_however_many_rows": [
        "audit:search"
    ],
    "tests/substitution/test_query_counts.py::"
    "test_substitution_routes_take_a_bounded_number_of_queries": [
        "substitution:request",
        "substitution:received",
        "substitution:status",
        "substitution_agent:queue",
        "substitution_agent:detail",
        "substitution_agent:take",
        "substitution_agent:book",
        "substitution_agent:answer",
        "substitution_agent:letter",
        "api:substitution-requests",
        "api:substitution-request-status",
    ],
    "tests/backoffice/test_injunction_queries.py::"
    "test_injunction_routes_take_a_bounded_number_of_queries": [
        "agent:injunctions",
        "agent:injunction_new",
        "agent:injunction",
        "agent:injunction_convocation",
        "api:agent-injunctions",
        "api:agent-injunction",
        "api:agent-injunction-convocation",
    ],
    "tests/attempts/test_query_counts.py::test_attempts_pages_take_a_bounded_number_of_queries": [
        "attempts:record",
        "attempts:record_pdf",
        "attempts:record_for_person_page",
        "attempts:record_for_person",
        "attempts:verify_form",
        "attempts:verify",
    ],
    "tests/mediation/test_console_queries.py::test_console_route_queries": [
        "mediation:home",
        "mediation:find",
        "mediation:register",
        "mediation:cap_raise",
        "mediation:hours",
        "mediation:person",
        "mediation:consent_give",
        "mediation:consent_withdraw",
        "mediation:book_procedures",
        "mediation:book_sites",
        "mediation:book_days",
        "mediation:book_confirm",
        "mediation:appointment_cancel",
        "mediation:appointment_reschedule",
        "mediation:appointment_reschedule_confirm",
    ],
    "tests/backoffice/test_counter_queries.py::"
    "test_counter_routes_take_a_bounded_number_of_queries": [
        "agent:day",
        "agent:checkin",
        "agent:checkin_override",
        "agent:done",
        "agent:close_day",
    ],
    "tests/backoffice/test_counter_queries.py::"
    "test_counter_api_takes_a_bounded_number_of_queries": [
        "api:agent-day",
        "api:agent-checkins",
        "api:agent-appointment-done",
        "api:agent-no-shows",
    ],
    "tests/backoffice/test_dashboard.py::test_the_page_queries_are_bounded_whatever_the_data": [
        "agent:dashboard",
        "agent:dashboard_csv",
    ],
    "tests/api/test_dashboard_api.py::test_the_api_queries_are_bounded_whatever_the_data": [
        "api:agent-dashboard"
    ],
    "tests/api/test_agent_people.py::test_the_queries_are_bounded": ["api:agent-people"],
    "tests/api/test_mediation_api.py::test_mediation_api_queries_are_bounded": [
        "api:mediation-applicants",
        "api:mediation-consents",
        "api:mediation-consent",
    ],
    "tests/backoffice/test_closures.py::test_closure_routes_take_a_bounded_number_of_queries": [
        "agent:closures",
        "agent:closure_new",
        "agent:closure",
        "agent:closure_lift",
        "api:agent-closures",
        "api:agent-closure-lift",
    ],
    "tests/backoffice/test_people_queries.py::test_people_route_queries": [
        "agent:search",
        "agent:register",
        "agent:person",
        "agent:book_procedures",
        "agent:book_sites",
        "agent:book_days",
        "agent:book_confirm",
        "agent:appointment_cancel",
        "agent:appointment_reschedule",
        "agent:appointment_reschedule_confirm",
    ],
    "tests/backoffice/test_capacity_pages.py::"
    "test_capacity_pages_take_a_bounded_number_of_queries": [
        "agent:publish",
        "agent:calendar",
        "agent:calendar_day",
    ],
    "tests/api/test_agent_capacity.py::test_agent_capacity_api_takes_a_bounded_number_of_queries": [
        "api:agent-publications-preview",
        "api:agent-calendar",
        "api:agent-slot",
        "api:agent-slots-move",
    ],
    # --- Fair allocation: the applicant's waiting-list pages and the offer link
    "tests/allocation/test_pages_queries.py::"
    "test_waitlist_pages_take_a_bounded_number_of_queries": [
        "allocation:mine",
        "allocation:join",
        "allocation:leave",
        "allocation:resume",
        "allocation:change",
        "allocation:offer",
        "allocation:offer_link",
    ],
    # --- Fair allocation: the staff's waiting-list screens, allocation modes
    "tests/allocation/test_staff_pages_queries.py::"
    "test_staff_waitlist_routes_take_a_bounded_number_of_queries": [
        "mediation:waitlist_join",
        "mediation:waitlist_change",
        "mediation:waitlist_leave",
        "mediation:waitlist_resume",
        "mediation:waitlist_offer_accept",
        "mediation:waitlist_offer_decline",
        "agent:waitlist_join",
        "agent:waitlist_change",
        "agent:waitlist_leave",
        "agent:waitlist_resume",
        "agent:waitlist_permit",
        "agent:waitlist_offer_accept",
        "agent:waitlist_offer_decline",
        "agent:allocation_modes",
    ],
    # --- Fair allocation: the waiting-list and offers API
    "tests/api/test_waitlist_api.py::test_waitlist_api_queries_are_bounded": [
        "api:waitlist",
        "api:waitlist-entry",
        "api:waitlist-resume",
        "api:offers",
        "api:offer",
        "api:offer-accept",
        "api:offer-decline",
    ],
    # --- Fair allocation: the abuse report and suspensions
    "tests/backoffice/test_abuse_report.py::test_abuse_routes_take_a_bounded_number_of_queries": [
        "agent:abuse",
        "agent:abuse_csv",
        "agent:abuse_account",
        "agent:abuse_suspend",
        "agent:abuse_lift",
    ],
    # --- Fair allocation: the suspensions API
    "tests/api/test_suspension_api.py::"
    "test_the_suspension_routes_take_a_bounded_number_of_queries": [
        "api:agent-suspensions",
        "api:agent-account-suspend",
        "api:agent-account-lift",
    ],
    # --- Fair allocation: transparency
    "tests/allocation/test_transparency.py::"
    "test_transparency_takes_a_bounded_number_of_queries_whatever_the_data": [
        "allocation:transparency",
        "api:transparency",
    ],
}
BOUNDED_ELSEWHERE = {route: test for test, routes in _BY_TEST.items() for route in routes}
