from django.urls import path

from . import views

urlpatterns = [
    path("residents/", views.resident_list, name="resident-list"),
    path("residents/new/", views.resident_create, name="resident-create"),
    path("residents/<int:pk>/", views.resident_detail, name="resident-detail"),
    path("residents/<int:pk>/reveal/", views.resident_reveal, name="resident-reveal"),
    path("residents/<int:pk>/edit/", views.resident_edit, name="resident-edit"),
    path("workers/", views.worker_list, name="worker-list"),
    path("workers/new/", views.worker_create, name="worker-create"),
    path("workers/<int:pk>/", views.worker_detail, name="worker-detail"),
    path("workers/<int:pk>/reveal/", views.worker_reveal, name="worker-reveal"),
    path("workers/<int:pk>/edit/", views.worker_edit, name="worker-edit"),
]
