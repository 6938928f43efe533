from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.log, name="log"),
    path("verify/", views.verify, name="verify"),
    path("verify/<str:task_id>/", views.verify_status, name="verify_status"),
]
