from django.urls import path

app_name = "booking"

urlpatterns: list = [
    # Filled in by the applicant's pages (booking/views.py).
]
