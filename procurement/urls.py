from django.urls import path

from . import views

app_name = "procurement"

urlpatterns = [
    path("lists/upload/", views.list_upload, name="list-upload"),
    path("lists/<int:pk>/", views.list_preview, name="list-preview"),
    path("lists/<int:pk>/publish/", views.list_publish, name="list-publish"),
]
