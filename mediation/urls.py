from django.urls import path

from mediation import views

app_name = "mediation"

urlpatterns = [
    path("points/", views.points, name="points"),
    path("substitution/", views.substitution, name="substitution"),
]
