"""微心愿: residents post wishes, staff review them, claimants fulfil them, the wisher thanks; and
the public wall."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from ninja import Field, Query, Schema, Status

from jiceng.core.api_schemas import (
    CREATE_ERRORS,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    Error,
    ObjectId,
    PageParams,
    bounded_int,
    choice,
    lookup_or_404,
    paginate,
    strict_bool,
    text,
)
from jiceng.core.errors import ApplicationError, NotFoundError
from jiceng.core.scope import get_scoped_or_404
from jiceng.people.models import Resident
from jiceng.regions.choices import RegionLevel
from jiceng.regions.models import Organisation, Region

from .. import selectors, services
from ..choices import WishCategory, WishStatus
from ..models import VolunteerTeam, Wish, WishClaim
from .common import CommunityRef, _iso, _own_or_scoped, _ref, _region, actor_of, router

Yuan = bounded_int(0, 9_999_999, "预估金额（元）")


class WishOut(Schema):
    id: int
    community: CommunityRef
    wisher: str = Field(..., description="许愿人姓名（工作人员可见；居民本人可见）")
    category: str
    category_label: str
    description: str
    estimated_cost: str = Field(..., description="预估金额（元），十进制字符串")
    status: str
    status_label: str
    reject_reason: str
    thanks: str
    created_at: str
    published_at: str | None


def wish_out(w: Wish) -> dict:
    return {"id": w.pk, "community": _ref(w.community), "wisher": w.resident.name, "category": w.category,
            "category_label": w.get_category_display(), "description": w.description,
            "estimated_cost": str(w.estimated_cost), "status": w.status, "status_label": w.get_status_display(),
            "reject_reason": w.reject_reason, "thanks": w.thanks, "created_at": w.created_at.isoformat(),
            "published_at": _iso(w.published_at)}


class WishPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[WishOut]


class WishFilter(PageParams):
    region: ObjectId | None = Field(None, description="区域 ID")  # type: ignore[valid-type]
    status: choice(WishStatus, "状态") | None = None  # type: ignore[valid-type]


class WishIn(Schema):
    resident: ObjectId | None = Field(None, description="许愿居民 ID（工作人员代为提交时必填；居民本人提交时省略）")  # type: ignore[valid-type]
    category: choice(WishCategory, "类别")  # type: ignore[valid-type]
    description: text(500, min_length=1, description="心愿内容")  # type: ignore[valid-type]
    estimated_cost: Yuan = 0  # type: ignore[valid-type]


class ReviewIn(Schema):
    approve: strict_bool("true 发布，false 退回")  # type: ignore[valid-type]
    reason: text(200, description="未通过原因（退回时必填）") = ""  # type: ignore[valid-type]


class ClaimIn(Schema):
    resident: ObjectId | None = Field(None, description="认领的党员/志愿者居民 ID")  # type: ignore[valid-type]
    organisation: ObjectId | None = Field(None, description="认领单位 ID")  # type: ignore[valid-type]
    team: ObjectId | None = Field(None, description="认领服务队 ID")  # type: ignore[valid-type]
    days: bounded_int(1, 90, "完成期限（天）") = 14  # type: ignore[valid-type]


class ClaimOut(Schema):
    id: int
    wish_id: int
    claimant: str
    claimant_kind: str
    status: str
    status_label: str
    claimed_at: str
    deadline: str
    fulfilled_at: str | None


def claim_out(c: WishClaim) -> dict:
    return {"id": c.pk, "wish_id": c.wish_id, "claimant": c.claimant_name, "claimant_kind": c.claimant_kind,
            "status": c.status, "status_label": c.get_status_display(), "claimed_at": c.claimed_at.isoformat(),
            "deadline": c.deadline.isoformat(), "fulfilled_at": _iso(c.fulfilled_at)}


class FulfilIn(Schema):
    photo: text(300, min_length=1, description="完成照片的存储路径")  # type: ignore[valid-type]


class ThankIn(Schema):
    message: text(300, description="感谢留言") = ""  # type: ignore[valid-type]


class WallOut(Schema):
    id: int
    category: str
    description: str
    estimated_cost: str
    status: str
    status_label: str
    wisher: str = Field(..., description="脱敏姓名（张*）")
    claimant: str = Field(..., description="认领方：单位或服务队名称，个人为脱敏姓名")
    thanks: str


@router.get("/wishes", response={200: WishPage, LIST_ERRORS: Error}, summary="微心愿列表",
            description="工作人员：范围内的心愿，可按区域、状态筛选。居民账号：本人的心愿。")
def wish_list(request, filters: Query[WishFilter]):
    actor = actor_of(request)
    if isinstance(actor, Resident):
        qs = Wish.objects.filter(resident=actor).select_related("community", "resident")
        if filters.status:
            qs = qs.filter(status=filters.status)
    else:
        qs = selectors.wishes(actor=actor, region=_region(actor, filters.region), status=filters.status)
    return paginate(qs.order_by("-created_at", "-id"), filters, wish_out)


@router.post("/wishes", response={201: WishOut, CREATE_ERRORS: Error}, summary="提交微心愿",
             description="居民本人提交，或工作人员为范围内的居民代为提交；心愿进入所在社区/村待审核。")
def wish_create(request, payload: WishIn):
    actor = actor_of(request)
    if isinstance(actor, Resident):
        resident = actor
    else:
        if payload.resident is None:
            raise ApplicationError(_("请选择许愿居民。"), field="resident")
        resident = lookup_or_404(Resident.objects.select_related("grid"), actor, payload.resident,
                                 field="resident", label=pgettext("record type", "居民"))
    wish = services.wish_post(actor=actor, resident=resident, category=payload.category,
                              description=payload.description, estimated_cost=payload.estimated_cost)
    return Status(201, wish_out(wish))


@router.post("/wishes/{wish_id}/review", response={200: WishOut, WRITE_ERRORS: Error}, summary="审核微心愿",
             description="社区/村工作人员（网格员除外）发布心愿上墙，或填写原因退回。")
def wish_review(request, wish_id: ObjectId, payload: ReviewIn):  # type: ignore[valid-type]
    actor = actor_of(request)
    wish = _own_or_scoped(Wish.objects.select_related("community", "resident"), actor, wish_id, "resident")
    wish = services.wish_review(actor=actor, wish=wish, approve=payload.approve, reason=payload.reason)
    return wish_out(Wish.objects.select_related("community", "resident").get(pk=wish.pk))


@router.post("/wishes/{wish_id}/claim", response={201: ClaimOut, WRITE_ERRORS: Error}, summary="认领微心愿",
             description="工作人员登记单位、服务队或党员/志愿者的认领；居民账号以本人名义认领（省略各认领方字段）。"
                         "同一时间只有一个认领方（409）。")
def wish_claim(request, wish_id: ObjectId, payload: ClaimIn):  # type: ignore[valid-type]
    actor = actor_of(request)
    if isinstance(actor, Resident):
        wish = Wish.objects.select_related("community").filter(
            pk=wish_id, community=selectors.resident_community(actor)).first()
        if wish is None:
            raise NotFoundError(_("未找到该心愿。"))
        resident, organisation, team = actor, None, None
    else:
        wish = get_scoped_or_404(Wish.objects.select_related("community"), actor, pk=wish_id)
        resident = lookup_or_404(Resident.objects.all(), actor, payload.resident, field="resident", label=pgettext("record type", "居民"))
        organisation = lookup_or_404(Organisation.objects.all(), actor, payload.organisation,
                                     field="organisation", label=pgettext("record type", "单位"))
        team = lookup_or_404(VolunteerTeam.objects.all(), actor, payload.team, field="team", label=pgettext("record type", "服务队"))
    claim = services.wish_claim(actor=actor, wish=wish, resident=resident, organisation=organisation, team=team,
                                days=payload.days)
    return Status(201, claim_out(claim))


@router.post("/claims/{claim_id}/fulfil", response={200: ClaimOut, WRITE_ERRORS: Error}, summary="完成认领的心愿",
             description="认领方（或工作人员代为）上传完成照片，在期限内完成。")
def claim_fulfil(request, claim_id: ObjectId, payload: FulfilIn):  # type: ignore[valid-type]
    actor = actor_of(request)
    claim = _own_or_scoped(WishClaim.objects.select_related("wish__community"), actor, claim_id, "resident")
    return claim_out(services.wish_fulfil(actor=actor, claim=claim, photo=payload.photo))


@router.post("/wishes/{wish_id}/thank", response={200: WishOut, WRITE_ERRORS: Error}, summary="确认并致谢",
             description="许愿人（或工作人员代为）确认心愿已实现并致谢；社区的“认领微心愿并完成”规则随即为认领方记分。")
def wish_thank(request, wish_id: ObjectId, payload: ThankIn):  # type: ignore[valid-type]
    actor = actor_of(request)
    wish = _own_or_scoped(Wish.objects.select_related("community", "resident"), actor, wish_id, "resident")
    wish = services.wish_thank(actor=actor, wish=wish, message=payload.message)
    return wish_out(Wish.objects.select_related("community", "resident").get(pk=wish.pk))


@router.get("/communities/{community_id}/wall", response={200: list[WallOut], READ_ERRORS: Error},
            summary="心愿墙", description="社区/村公开的心愿墙：只有脱敏姓名，无身份证号、电话、住址。公开页面见 /engagement/wall/<id>/。")
def wall(request, community_id: ObjectId):  # type: ignore[valid-type]
    community = Region.objects.filter(pk=community_id, level=RegionLevel.COMMUNITY).first()
    if community is None:
        raise NotFoundError(_("未找到该社区/村。"))
    return [{**row, "estimated_cost": str(row["estimated_cost"])} for row in selectors.wish_wall(community=community)]
