from django.urls import path

from . import views

app_name = "monitoring"
urlpatterns = [
    path("households/<int:household_id>/risk/", views.household_risk_panel, name="household_risk"),
]
