from django.urls import path

from . import views

app_name = "deals"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/figures.xlsx", views.dashboard_xlsx, name="dashboard-xlsx"),
    path("dashboard/ocds.json", views.dashboard_ocds, name="dashboard-ocds"),
]
