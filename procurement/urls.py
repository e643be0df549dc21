from django.urls import path

from . import views

app_name = "procurement"

urlpatterns = [
    path("lists/", views.lists_browse, name="lists"),
    path("lists/mine/", views.lists_mine, name="lists-mine"),
    path("lists/new/", views.list_create, name="list-create"),
    path("lists/upload/", views.list_upload, name="list-upload"),
    path("lists/<int:pk>/", views.list_detail, name="list-detail"),
    # The upload's preview is the owner's view of the list's page.
    path("lists/<int:pk>/", views.list_detail, name="list-preview"),
    path("lists/<int:pk>/publish/", views.list_publish, name="list-publish"),
    path("lists/<int:pk>/close/", views.list_close, name="list-close"),
    path("lists/<int:pk>/lines/", views.list_add_line, name="list-add-line"),
    path("opportunities/", views.opportunities_browse, name="opportunities"),
    path("opportunities/<int:pk>/", views.opportunity_detail, name="opportunity-detail"),
    path("batches/", views.batches_manage, name="batches-manage"),
    path("batches/<int:pk>/", views.batch_detail, name="batch-detail"),
    path("batches/<int:pk>/opportunities/", views.batch_add_opportunity, name="batch-add"),
    path("batches/<int:pk>/publish/", views.batch_publish, name="batch-publish"),
]
