from django.urls import path

from . import views

urlpatterns = [
    path("<int:pk>/", views.region_detail, name="region-detail"),
    path("<int:pk>/children/", views.region_children_partial, name="region-children"),
    path("<int:pk>/boundaries.geojson", views.region_boundaries, name="region-boundaries"),
]
