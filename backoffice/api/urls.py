from django.urls import path

from backoffice.api.people import AgentPeopleView
from backoffice.api.suspensions import AccountLiftView, AccountSuspendView, SuspensionListView
from backoffice.api.views import DashboardView

urlpatterns = [
    path("agent/dashboard/", DashboardView.as_view(), name="agent-dashboard"),
    path("agent/people/", AgentPeopleView.as_view(), name="agent-people"),
    path("agent/suspensions/", SuspensionListView.as_view(), name="agent-suspensions"),
    path(
        "agent/accounts/<int:user_id>/suspend/",
        AccountSuspendView.as_view(),
        name="agent-account-suspend",
    ),
    path(
        "agent/accounts/<int:user_id>/lift/", AccountLiftView.as_view(), name="agent-account-lift"
    ),
]
