from django.urls import path

from . import import_views, views

app_name = "registry"
urlpatterns = [
    path("households/", views.household_list, name="household_list"),
    path("households/export.csv", views.household_export, name="household_export"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("households/<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("households/<int:pk>/members/new/", views.member_add, name="member_add"),
    path("households/<int:pk>/add/<str:kind>/", views.household_add_record, name="household_add_record"),
    path("households/<int:pk>/assets/<int:asset_id>/remove/", views.asset_remove, name="asset_remove"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/move/", views.person_move, name="person_move"),
    path("people/<int:pk>/unmask/", views.person_unmask, name="person_unmask"),
    path("import/", import_views.household_import, name="import"),
    path("import/template.xlsx", import_views.import_template, name="import_template"),
    path("import/report.xlsx", import_views.import_report, name="import_report"),
]
