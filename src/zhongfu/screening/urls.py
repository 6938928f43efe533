from django.urls import path

from . import views

app_name = "screening"
urlpatterns = [
    path("households/<int:household_id>/", views.household_screening, name="household"),
    path("households/<int:household_id>/screen/", views.household_screen, name="household_screen"),
    path("screenings/<int:screening_id>/", views.screening_detail, name="screening_detail"),
    path("runs/", views.runs, name="runs"),
    path("runs/start/", views.run_start, name="run_start"),
    path("runs/<int:run_id>/", views.run_detail, name="run_detail"),
    path("simulate/", views.simulate, name="simulate"),
]
