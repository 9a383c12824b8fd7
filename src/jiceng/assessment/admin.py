"""Read-only admin views: writes go through the services (and their audit records)."""

from django.contrib import admin

from .models import AssessmentPeriod, AssessmentResult, AssessmentScheme, SchemeVersion


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
