from django.urls import path

from .views import adjustments, periods, rating, results, review, setup, steps

app_name = "assessment"

urlpatterns = [
    path("", periods.period_list, name="periods"),
    path("periods/<int:pk>/", periods.period_ranking, name="ranking"),
    path("schemes/<int:pk>/cumulative/", periods.scheme_cumulative, name="cumulative"),
    path("schemes/new/", setup.scheme_new, name="scheme-new"),
    path("schemes/<int:pk>/periods/new/", setup.period_new, name="period-new"),
    path("periods/<int:pk>/subjects/", setup.period_subjects, name="subjects"),
    path("periods/<int:pk>/subjects/preview/", setup.subjects_preview, name="subjects-preview"),
    path("periods/<int:pk>/subjects/bulk/", setup.subjects_bulk, name="subjects-bulk"),
    path("periods/<int:pk>/subjects/add/", setup.subject_add, name="subject-add"),
    path("periods/<int:pk>/subjects/<int:subject_id>/remove/", setup.subject_remove, name="subject-remove"),
    path("periods/<int:pk>/raters/", setup.period_raters, name="raters"),
    path("periods/<int:pk>/raters/add/", setup.rater_add, name="rater-add"),
    path("periods/<int:pk>/raters/peers/", setup.raters_peers, name="raters-peers"),
    path("periods/<int:pk>/raters/remove/", setup.rater_remove, name="rater-remove"),
    path("periods/<int:pk>/transition/", periods.period_transition, name="transition"),
    path("periods/<int:pk>/open/", steps.period_open, name="open"),
    path("periods/<int:pk>/close/", steps.period_close, name="close"),
    path("periods/<int:pk>/publish/", steps.period_publish, name="publish"),
    path("periods/<int:pk>/republish/", steps.period_republish, name="republish"),
    path("periods/<int:pk>/delete/", setup.period_delete, name="period-delete"),
    path("periods/<int:pk>/next/", steps.period_next, name="next"),
    path("periods/<int:pk>/export/", periods.ranking_export, name="ranking-export"),
    path("periods/<int:pk>/adjustments/", adjustments.period_adjustments, name="adjustments"),
    path("periods/<int:pk>/adjustments/<int:adjustment_id>/withdraw/", adjustments.adjustment_withdraw,
         name="adjustment-withdraw"),
    path("results/<int:pk>/", results.result_explain, name="result"),
    path("results/<int:pk>/sheet/", results.result_sheet, name="sheet"),
    path("results/<int:pk>/appeal/", results.result_appeal, name="appeal"),
    path("results/<int:pk>/appeals/<int:appeal_id>/reply/", review.appeal_reply, name="appeal-reply"),
    path("results/<int:pk>/rerate/", review.result_rerate, name="rerate"),
    path("results/<int:pk>/rerate/cancel/", review.result_rerate_cancel, name="rerate-cancel"),
    path("results/<int:pk>/export/", results.result_export, name="sheet-export"),
    path("mine/", rating.my_assignments, name="mine"),
    path("assignments/<int:pk>/", rating.assignment_rate, name="rate"),
]
