"""Pages of grid events: staff (console, case, my cases, patrol) and residents (no login)."""

from django.urls import path

from . import views
from .views import case, numbers, patrol, public

app_name = "events"
urlpatterns = [
    path("", views.console, name="console"),
    path("map.geojson", views.map_data, name="map"),
    path("export/", views.console_export, name="export"),
    path("mine/", case.mine, name="mine"),
    path("patrol/", patrol.patrol, name="patrol"),
    path("patrol/grids.geojson", patrol.patrol_grids, name="patrol-grids"),
    path("numbers/", numbers.numbers, name="numbers"),
    path("numbers/export/", numbers.numbers_export, name="numbers-export"),
    path("numbers/whistles/", numbers.whistle_list, name="whistle-list"),
    path("numbers/<str:key>/cases/", numbers.number_cases, name="number-cases"),
    path("numbers/<str:key>/cases/export/", numbers.number_cases_export, name="number-cases-export"),
    path("<int:pk>/", case.case_page, name="case"),
    path("<int:pk>/<str:action>/", case.case_act, name="act"),
    path("whistles/<int:pk>/<str:step>/", case.whistle_act, name="whistle"),
    path("report/", public.public_report, name="report"),
    path("report/nearby/", public.public_nearby, name="nearby"),
    path("report/join/", public.public_join, name="join"),
    path("report/outline.geojson", public.public_outline, name="outline"),
    path("report/locate/", public.public_locate, name="locate"),
    path("follow/", public.public_follow, name="follow"),
    path("track/", public.public_track, name="track"),
    path("track/photo/<str:token>/", public.public_track_photo, name="track-photo"),
    path("rate/", public.public_rate, name="rate"),
]
