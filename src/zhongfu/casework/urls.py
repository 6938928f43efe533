from django.urls import path

from . import views

app_name = "casework"
urlpatterns = [
    path("applications/", views.application_list, name="application_list"),
    path("applications/<int:application_id>/", views.application_detail, name="application_detail"),
    path("households/<int:household_id>/apply-all/", views.apply_all, name="apply_all"),
]
