from django.urls import path

from backoffice.api.views import DashboardView

urlpatterns = [
    path("agent/dashboard/", DashboardView.as_view(), name="agent-dashboard"),
]
