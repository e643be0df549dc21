from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("products/upload/", views.products_upload, name="products-upload"),
]
