"""The back office's pages, under the paths and URL names they always had:
``/staff/`` (``staff:``), ``/agent/`` (``agent:``), ``/audit/`` (``audit:``)."""

from django.urls import include, path

from backoffice.views import (
    abuse,
    allocation_modes,
    audit,
    capacity,
    closures,
    counter,
    dashboard,
    identity,
    injunctions,
    people,
    people_booking,
    people_waitlist,
    staff,
)

staff_urls = (
    [
        path("", staff.staff_list, name="list"),
        path("new/", staff.staff_create, name="create"),
        path("<int:user_id>/", staff.staff_edit, name="edit"),
        path("<int:user_id>/deactivate/", staff.staff_deactivate, name="deactivate"),
        path("<int:user_id>/reactivate/", staff.staff_reactivate, name="reactivate"),
        path("<int:user_id>/invitation/", staff.staff_invitation, name="invitation"),
        path("<int:user_id>/otp-reset/", staff.staff_otp_reset, name="otp_reset"),
    ],
    "staff",
)

agent_urls = (
    [
        path(
            "applicants/<int:pk>/identity/",
            identity.identity_correct,
            name="identity_correct",
        ),
        path("day/", counter.day, name="day"),
        path("day/close/", counter.close_day, name="close_day"),
        path("checkin/", counter.checkin, name="checkin"),
        path("checkin/override/", counter.checkin_override, name="checkin_override"),
        path("appointments/<str:reference>/done/", counter.done, name="done"),
        path("closures/", closures.closure_list, name="closures"),
        path("closures/new/", closures.closure_new, name="closure_new"),
        path("closures/<int:pk>/", closures.closure_detail, name="closure"),
        path("closures/<int:pk>/lift/", closures.closure_lift_view, name="closure_lift"),
        # Court-ordered convocations.
        path("injunctions/", injunctions.injunction_list, name="injunctions"),
        path("injunctions/new/", injunctions.injunction_new, name="injunction_new"),
        path("injunctions/<int:pk>/", injunctions.injunction_detail, name="injunction"),
        path(
            "injunctions/<int:pk>/convocation/",
            injunctions.injunction_convocation,
            name="injunction_convocation",
        ),
        # Finding a person, their page, registering a walk-in, booking for them.
        path("people/", people.search, name="search"),
        path("people/new/", people.register, name="register"),
        path("people/<int:pk>/", people.person, name="person"),
        path("people/<int:pk>/book/", people_booking.book_procedures, name="book_procedures"),
        path(
            "people/<int:pk>/book/<slug:procedure>/",
            people_booking.book_sites,
            name="book_sites",
        ),
        path(
            "people/<int:pk>/book/<slug:procedure>/<slug:site>/",
            people_booking.book_days,
            name="book_days",
        ),
        path(
            "people/<int:pk>/slots/<int:slot_id>/book/",
            people_booking.book_confirm,
            name="book_confirm",
        ),
        path(
            "people/<int:pk>/appointments/<str:reference>/cancel/",
            people_booking.appointment_cancel,
            name="appointment_cancel",
        ),
        path(
            "people/<int:pk>/appointments/<str:reference>/reschedule/",
            people_booking.appointment_reschedule,
            name="appointment_reschedule",
        ),
        path(
            "people/<int:pk>/appointments/<str:reference>/reschedule/<int:slot_id>/",
            people_booking.appointment_reschedule_confirm,
            name="appointment_reschedule_confirm",
        ),
        # The person's waiting-list entries (allocation.views.on_behalf).
        path(
            "people/<int:pk>/waitlist/join/",
            people_waitlist.waitlist_join,
            name="waitlist_join",
        ),
        path(
            "people/<int:pk>/waitlist/<int:entry_id>/change/",
            people_waitlist.waitlist_change,
            name="waitlist_change",
        ),
        path(
            "people/<int:pk>/waitlist/<int:entry_id>/leave/",
            people_waitlist.waitlist_leave,
            name="waitlist_leave",
        ),
        path(
            "people/<int:pk>/waitlist/<int:entry_id>/resume/",
            people_waitlist.waitlist_resume,
            name="waitlist_resume",
        ),
        path(
            "people/<int:pk>/waitlist/<int:entry_id>/permit/",
            people_waitlist.waitlist_permit,
            name="waitlist_permit",
        ),
        path(
            "people/<int:pk>/offers/<int:offer_id>/accept/",
            people_waitlist.waitlist_offer_accept,
            name="waitlist_offer_accept",
        ),
        path(
            "people/<int:pk>/offers/<int:offer_id>/decline/",
            people_waitlist.waitlist_offer_decline,
            name="waitlist_offer_decline",
        ),
        # How each procedure's public capacity is given out (supervisors set it).
        path("allocation/", allocation_modes.modes, name="allocation_modes"),
        path("publish/", capacity.publish, name="publish"),
        path("calendar/", capacity.calendar, name="calendar"),
        path(
            "calendar/<slug:site>/<slug:procedure>/<str:day>/",
            capacity.calendar_day,
            name="calendar_day",
        ),
        path("dashboard/", dashboard.dashboard, name="dashboard"),
        path("dashboard/<slug:table>.csv", dashboard.dashboard_csv, name="dashboard_csv"),
        # The abuse report (supervisors): its sections, an account, its suspension.
        path("abuse/", abuse.report, name="abuse"),
        path("abuse/<slug:section>.csv", abuse.report_csv, name="abuse_csv"),
        path("abuse/accounts/<int:user_id>/", abuse.account, name="abuse_account"),
        path("abuse/accounts/<int:user_id>/suspend/", abuse.suspend, name="abuse_suspend"),
        path("abuse/accounts/<int:user_id>/lift/", abuse.lift, name="abuse_lift"),
    ],
    "agent",
)

audit_urls = (
    [
        path("", audit.search, name="search"),
        path("export.csv", audit.export, name="export"),
    ],
    "audit",
)

urlpatterns = [
    path("staff/", include(staff_urls)),
    path("agent/", include(agent_urls)),
    path("audit/", include(audit_urls)),
]
