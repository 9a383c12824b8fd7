"""Read-only admin views: writes go through the services (and their audit records)."""

from django.contrib import admin

from .models import AssessmentPeriod, AssessmentResult, AssessmentScheme, PeriodComputation, SchemeVersion


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AssessmentScheme)
class AssessmentSchemeAdmin(ReadOnlyAdmin):
    list_display = ["name", "subject_type", "period_type", "region"]


@admin.register(SchemeVersion)
class SchemeVersionAdmin(ReadOnlyAdmin):
    list_display = ["scheme", "number", "frozen", "max_total"]


@admin.register(AssessmentPeriod)
class AssessmentPeriodAdmin(ReadOnlyAdmin):
    list_display = ["label", "scheme", "version", "state", "published_on"]


@admin.register(AssessmentResult)
class AssessmentResultAdmin(ReadOnlyAdmin):
    list_display = ["subject", "period", "version_no", "current", "total", "grade", "rank"]


@admin.register(PeriodComputation)
class PeriodComputationAdmin(ReadOnlyAdmin):
    """The background 计算 / 复核重算 of large periods: who asked, when, how far it got, how it ended."""

    list_display = ["period", "action", "status", "subjects", "done", "requested_by", "requested_at", "finished_at"]
    list_filter = ["status", "action"]
    list_select_related = ["period", "requested_by"]
