"""Included by the project at ``transfer/``."""

from django.urls import path

from . import transfer_views as views

urlpatterns = [
    path("import/", views.import_view, name="transfer-import"),
    path("template/<slug:kind>/", views.template_view, name="transfer-template"),
    path("export/<slug:kind>/", views.export_view, name="transfer-export"),
]
