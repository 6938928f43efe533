from django.urls import path

from . import views

app_name = "casework"
urlpatterns = [
    path("applications/", views.application_list, name="application_list"),
    path("applications/<int:application_id>/", views.application_detail, name="application_detail"),
    path("applications/<int:application_id>/consent/", views.application_consent, name="application_consent"),
    path("self/<str:token>/apply/", views.self_apply, name="self_apply"),
    path("self/<str:token>/appeal/", views.self_appeal, name="self_appeal"),
    path("households/<int:household_id>/apply/", views.apply_form, name="apply"),
    path("households/<int:household_id>/apply-all/", views.apply_all, name="apply_all"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/overdue/", views.overdue_by_region, name="overdue"),
    path("cases/<int:case_id>/", views.case_detail, name="case_detail"),
    path("cases/<int:case_id>/attachments/<int:attachment_id>/", views.case_attachment, name="case_attachment"),
    path("cases/<int:case_id>/<slug:action>/", views.case_act, name="case_act"),
    path("notices/", views.notice_list, name="notices"),
    path("notices/<int:case_id>/objection/", views.notice_objection, name="notice_objection"),
]
