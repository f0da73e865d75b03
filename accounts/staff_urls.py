from django.urls import path

from accounts import staff_views

app_name = "staff"

urlpatterns = [
    path("", staff_views.staff_list, name="list"),
    path("new/", staff_views.staff_create, name="create"),
    path("<int:user_id>/", staff_views.staff_edit, name="edit"),
    path("<int:user_id>/deactivate/", staff_views.staff_deactivate, name="deactivate"),
    path("<int:user_id>/reactivate/", staff_views.staff_reactivate, name="reactivate"),
    path("<int:user_id>/invitation/", staff_views.staff_invitation, name="invitation"),
    path("<int:user_id>/otp-reset/", staff_views.staff_otp_reset, name="otp_reset"),
]
