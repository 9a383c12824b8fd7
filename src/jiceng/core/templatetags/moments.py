"""``{{ value|moment }}``: a time as offices write it on a list — month-day hour:minute this year,
with the year before it otherwise (a case left open since last year must not read as this year's)."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

register = template.Library()


@register.filter
def moment(value) -> str:
    if not value:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    pattern = "m-d H:i" if local.year == timezone.localtime().year else "Y-m-d H:i"
    return date_format(local, pattern)
