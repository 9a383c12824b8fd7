from django.contrib import admin
from django.urls import include, path

from .api import api

urlpatterns = [
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("jiceng.core.urls")),
    path("regions/", include("jiceng.regions.urls")),
    path("people/", include("jiceng.people.urls")),
    path("engagement/", include("jiceng.engagement.urls")),
    path("accounts/", include("jiceng.accounts.urls")),
    path("transfer/", include("jiceng.transfer_urls")),
    path("assessment/", include("jiceng.assessment.urls")),
    path("events/", include("jiceng.events.urls")),
    path("open311/v2/", include("jiceng.events.open311")),
]
