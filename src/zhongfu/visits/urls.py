from django.urls import path

from . import views

app_name = "visits"
urlpatterns = [
    path("", views.due_list, name="due"),
    path("households/<int:household_id>/", views.household_visits, name="household"),
    path("households/<int:household_id>/new", views.visit_new, name="visit_new"),
    path("rates/", views.rates, name="rates"),
    path("rules/", views.rules, name="rules"),
]
