from django.urls import path

from . import views

app_name = "monitoring"
urlpatterns = [
    path("households/<int:household_id>/risk/", views.household_risk_panel, name="household_risk"),
    path("warnings/", views.warning_list, name="warning_list"),
    path("warnings/figures/", views.warning_figures, name="warning_figures"),
    path("warnings/<int:warning_id>/", views.warning_detail, name="warning_detail"),
    path("warnings/<int:warning_id>/assign/", views.warning_assign, name="warning_assign"),
    path("warnings/<int:warning_id>/close/", views.warning_close, name="warning_close"),
    path("warnings/<int:warning_id>/why/", views.warning_why, name="warning_why"),
    path("discoveries/new/", views.discovery_new, name="discovery_new"),
    path("discoveries/mine/", views.discovery_mine, name="discovery_mine"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("runs/", views.runs, name="runs"),
    path("runs/start/", views.run_start, name="run_start"),
    path("runs/<int:run_id>/", views.run_detail, name="run_detail"),
    path("feedback/", views.feedback, name="feedback"),
]
