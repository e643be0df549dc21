from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.read_all, name="read-all"),
    path("<int:pk>/", views.detail, name="detail"),
    path("preferences/", views.preferences, name="preferences"),
    path("watches/", views.watches, name="watches"),
    path("watches/<int:pk>/delete/", views.watch_delete, name="watch-delete"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("not-relevant/<str:token>/", views.not_relevant, name="not-relevant"),
]
