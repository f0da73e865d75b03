"""The "My data" pages. No namespace of their own: ``config.urls`` adds them to
the ``accounts`` namespace, under the account's URLs, as they always were."""

from django.urls import path

from privacy import views

urlpatterns = [
    path("me/data.json", views.data_export, name="data_export"),
    path("me/delete/", views.delete, name="delete"),
]
