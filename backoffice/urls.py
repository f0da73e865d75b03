"""The back office's pages, under the paths and URL names they always had:
``/staff/`` (``staff:``), ``/agent/`` (``agent:``), ``/audit/`` (``audit:``)."""

from django.urls import include, path

from backoffice.views import audit, dashboard, identity, staff

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
        path("dashboard/", dashboard.dashboard, name="dashboard"),
        path("dashboard/<slug:table>.csv", dashboard.dashboard_csv, name="dashboard_csv"),
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
