from django.urls import path

from tests.django_project import views

urlpatterns = [
    path("api/items", views.items),
    path("api/async", views.async_items),
    path("api/boom", views.boom),
    path("api/missing", views.missing),
    path("public", views.public),
]
