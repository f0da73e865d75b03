from django.urls import path

from backoffice.api.people import AgentPeopleView
from backoffice.api.views import DashboardView

urlpatterns = [
    path("agent/dashboard/", DashboardView.as_view(), name="agent-dashboard"),
    path("agent/people/", AgentPeopleView.as_view(), name="agent-people"),
]
