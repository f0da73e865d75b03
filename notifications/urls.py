from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("twilio/status/", views.twilio_status, name="twilio_status"),
    path("twilio/inbound/", views.twilio_inbound, name="twilio_inbound"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/new/<slug:procedure>/", views.alert_subscribe, name="alert_subscribe"),
    path("alerts/stop/<str:token>/", views.alert_unsubscribe, name="alert_unsubscribe"),
]
