from django.urls import path

from . import views

app_name = "feeds"
urlpatterns = [
    path("", views.feed_list, name="feed_list"),
    path("upload/", views.batch_upload, name="upload"),
    path("batches/<int:batch_id>/", views.batch_detail, name="batch_detail"),
    path("<slug:feed>/", views.batch_list, name="batch_list"),
]
