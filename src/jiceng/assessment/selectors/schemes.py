"""Schemes in the actor's scope: the list, one scheme, and a version as the definition the services
take."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from jiceng.core.errors import NotFoundError
from jiceng.core.scope import restrict

from ..models import AssessmentScheme


def scheme_list(actor) -> QuerySet[AssessmentScheme]:
    return restrict(AssessmentScheme.objects.select_related("region"), actor)


def scheme_rows(actor) -> QuerySet[AssessmentScheme]:
    """The schemes in the actor's scope with their number of periods (the list page's 考核方案)."""
    from django.db.models import Count

    return scheme_list(actor).annotate(period_count=Count("periods")).order_by("region__path", "name", "pk")


def scheme_get(actor, pk: int) -> AssessmentScheme:
    scheme = scheme_list(actor).filter(pk=pk).first()
    if scheme is None:
        raise NotFoundError(_("未找到该考核方案，或您无权查看。"))
    return scheme


def scheme_version_definition(version) -> dict:
    """A version as the definition dict ``scheme_create`` / ``scheme_version_create`` take: copy it,
    change it, and save it as the next version."""
    groups = list(version.groups.all())
    code_of = {g.pk: g.code for g in groups}
    indicators = list(version.indicators.all())
    ind_code = {i.pk: i.code for i in indicators}
    return {
        "max_total": str(version.max_total), "clip": version.clip, "formula": version.formula,
        "grade_bands": list(version.grade_bands), "grade_quotas": dict(version.grade_quotas),
        "streak_grade": version.streak_grade, "streak_length": version.streak_length,
        "candidate_grade": version.candidate_grade, "red_top_n": version.red_top_n,
        "black_bottom_n": version.black_bottom_n, "routine_weight": str(version.routine_weight),
        "groups": [{"code": g.code, "name": g.name, "kind": g.kind, "weight": str(g.weight),
                    "max_points": str(g.max_points), "anonymous": g.anonymous, "peer": g.peer,
                    "drop_extremes": g.drop_extremes, "questionnaire": g.questionnaire} for g in groups],
        "indicators": [{"code": i.code, "name": i.name, "kind": i.kind,
                        "group": code_of.get(i.group_id) if i.parent_id is None else None,
                        "parent": ind_code.get(i.parent_id), "max_points": str(i.max_points),
                        "cap": None if i.cap is None else str(i.cap), "auto_key": i.auto_key,
                        "auto_target": str(i.auto_target)} for i in indicators],
    }
