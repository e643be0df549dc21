from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("products/", views.products_mine, name="products"),
    path("products/new/", views.product_create, name="product-create"),
    path("products/upload/", views.products_upload, name="products-upload"),
    path("products/<int:pk>/", views.product_edit, name="product-edit"),
    path("products/<int:pk>/publish/", views.product_publish, name="product-publish"),
    path("products/<int:pk>/archive/", views.product_archive, name="product-archive"),
]
