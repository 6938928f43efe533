from django.urls import path

from . import views

app_name = "workdays"

urlpatterns = [
    path("", views.year, name="year"),
    path("limit/", views.limit, name="limit"),
    path("days/", views.day_set, name="day_set"),
    path("days/remove/", views.day_remove, name="day_remove"),
]
