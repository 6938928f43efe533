from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("", views.roll_list, name="rolls"),
    path("rolls/<int:roll_id>/", views.roll_detail, name="roll"),
    path("rolls/<int:roll_id>/file.<str:fmt>", views.roll_file, name="roll_file"),
    path("rolls/<int:roll_id>/results/", views.roll_results, name="roll_results"),
    path("rolls/<int:roll_id>/<slug:action>/", views.roll_act, name="roll_act"),
    path("households/<int:household_id>/payee-account/", views.payee_account, name="payee_account"),
    path("callbacks/", views.callback_list, name="callbacks"),
    path("callbacks/<int:callback_id>/", views.callback_form, name="callback"),
]
