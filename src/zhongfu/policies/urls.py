from django.urls import path

from . import views

app_name = "policies"
urlpatterns = [
    path("", views.policy_list, name="policy_list"),
    path("new/", views.policy_new, name="policy_new"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/values/<int:value_id>/<str:action>/", views.value_decide, name="value_decide"),
    path("approvals/versions/<int:version_id>/<str:action>/", views.version_decide, name="version_decide"),
    path("versions/<int:version_id>/", views.version_detail, name="version_detail"),
    path("parameters/", views.parameter_list, name="parameter_list"),
    path("parameters/new/", views.parameter_new, name="parameter_new"),
    path("parameters/<str:key>/", views.parameter_detail, name="parameter_detail"),
    path("parameters/<str:key>/propose/", views.parameter_propose, name="parameter_propose"),
    path("<str:code>/", views.policy_detail, name="policy_detail"),
    path("<str:code>/propose/", views.policy_propose, name="policy_propose"),
    path("<str:code>/retire/", views.policy_retire, name="policy_retire"),
]
