from django.urls import path

from bench.baseline import views

urlpatterns = [
    path("book/", views.book, name="book"),
    path("book-raw/", views.book_raw, name="book-raw"),
    path("availability/", views.availability, name="availability"),
]
