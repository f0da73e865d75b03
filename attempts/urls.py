from django.urls import path

from attempts import views

app_name = "attempts"

urlpatterns = [
    path("attempts/record/", views.record, name="record"),
    path("attempts/record.pdf", views.record_pdf_view, name="record_pdf"),
    path(
        "attempts/people/<int:applicant_id>/record/",
        views.record_for_person_page,
        name="record_for_person_page",
    ),
    path(
        "attempts/people/<int:applicant_id>/record.pdf",
        views.record_for_person,
        name="record_for_person",
    ),
    path("verify/", views.verify_form, name="verify_form"),
    path("verify/<str:code>/", views.verify, name="verify"),
]
