from django.urls import path

from . import views

app_name = "enrolment"
urlpatterns = [
    path("reviews/", views.review_list, name="review_list"),
    path("reviews/<int:review_id>/", views.review_detail, name="review_detail"),
    path("cases/<int:case_id>/change/", views.case_change, name="case_change"),
    path("cases/<int:case_id>/recoveries/", views.case_recovery, name="case_recovery"),
    path("recoveries/", views.recovery_list, name="recovery_list"),
    path("recoveries/<int:recovery_id>/settle/", views.recovery_settle, name="recovery_settle"),
]
