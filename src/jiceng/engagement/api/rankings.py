"""Rankings of volunteers and of 双报到 units by the service they have given."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Field, Query, Schema

from jiceng.core.api_schemas import LIST_ERRORS, Error, ObjectId, bounded_int
from jiceng.core.errors import PermissionDeniedError
from jiceng.people.models import Resident

from .. import selectors
from .common import Moment, _aware, _region, actor_of, router


class RankingFilter(Schema):
    region: ObjectId = Field(..., description="区域 ID")  # type: ignore[valid-type]
    since: Moment | None = Field(None, description="活动开始时间不早于")  # type: ignore[valid-type]
    until: Moment | None = Field(None, description="活动开始时间早于")  # type: ignore[valid-type]
    limit: bounded_int(1, 100, "名次数") = 20  # type: ignore[valid-type]


class VolunteerRankOut(Schema):
    registration_id: int
    kind: str
    name: str
    community: str = Field(..., description="报到的社区/村")
    minutes: int
    hours: float
    person_times: int = Field(..., description="服务人次")


class UnitRankOut(Schema):
    organisation_id: int
    name: str
    community: str = Field(..., description="单位所在社区/村")
    minutes: int
    hours: float
    person_times: int
    people: int


def _ranking_args(actor, filters: RankingFilter) -> dict:
    if isinstance(actor, Resident):
        raise PermissionDeniedError(_("居民不能查看排行。"))
    region = _region(actor, filters.region)
    return {"actor": actor, "region": region, "since": _aware(filters.since) if filters.since else None,
            "until": _aware(filters.until) if filters.until else None, "limit": filters.limit}


@router.get("/rankings/volunteers", response={200: list[VolunteerRankOut], LIST_ERRORS: Error},
            summary="志愿者排行", description="按服务时长、再按人次排列（已签退的服务）。")
def volunteer_ranking(request, filters: Query[RankingFilter]):
    return selectors.volunteer_ranking(**_ranking_args(actor_of(request), filters))


@router.get("/rankings/units", response={200: list[UnitRankOut], LIST_ERRORS: Error},
            summary="双报到单位排行", description="按单位职工以单位名义服务的时长、人次排列。")
def unit_ranking(request, filters: Query[RankingFilter]):
    return selectors.unit_ranking(**_ranking_args(actor_of(request), filters))
