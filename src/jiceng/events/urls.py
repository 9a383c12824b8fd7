"""Pages of grid events: staff (console, case, my cases, patrol) and residents (no login)."""

from django.urls import path

from . import views

app_name = "events"
urlpatterns = [
    path("", views.console, name="console"),
    path("map.geojson", views.map_data, name="map"),
    path("export/", views.console_export, name="export"),
    path("mine/", views.mine, name="mine"),
    path("patrol/", views.patrol, name="patrol"),
    path("patrol/grids.geojson", views.patrol_grids, name="patrol-grids"),
    path("numbers/", views.numbers, name="numbers"),
    path("numbers/export/", views.numbers_export, name="numbers-export"),
    path("numbers/whistles/", views.whistle_list, name="whistle-list"),
    path("numbers/<str:key>/cases/", views.number_cases, name="number-cases"),
    path("numbers/<str:key>/cases/export/", views.number_cases_export, name="number-cases-export"),
    path("<int:pk>/", views.case_page, name="case"),
    path("<int:pk>/<str:action>/", views.case_act, name="act"),
    path("whistles/<int:pk>/<str:step>/", views.whistle_act, name="whistle"),
    path("report/", views.public_report, name="report"),
    path("report/nearby/", views.public_nearby, name="nearby"),
    path("report/join/", views.public_join, name="join"),
    path("report/outline.geojson", views.public_outline, name="outline"),
    path("report/locate/", views.public_locate, name="locate"),
    path("follow/", views.public_follow, name="follow"),
    path("track/", views.public_track, name="track"),
    path("track/photo/<str:token>/", views.public_track_photo, name="track-photo"),
    path("rate/", views.public_rate, name="rate"),
]
