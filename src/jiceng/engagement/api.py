"""Engagement API: wishes, points rules and ledgers, shops and redemptions, activities and rankings.

Thin: parse, call the services and selectors, render. Staff act within their scope (out-of-scope
records are 404); an account of role 居民 acts as its linked resident (its own wishes, account and
sign-ups). Responses carry no personal data beyond names; the wall masks even those.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from ninja import Field, Query, Router, Schema, Status

from jiceng.core.api_schemas import (
    CREATE_ERRORS,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    Error,
    ObjectId,
    PageParams,
    bounded_datetime,
    bounded_int,
    choice,
    lookup_or_404,
    paginate,
    strict_bool,
    text,
    write_conflict,
)
from jiceng.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from jiceng.core.scope import get_scoped_or_404, restrict
from jiceng.people.choices import Role
from jiceng.people.models import GridWorker, Resident
from jiceng.regions.choices import RegionLevel
from jiceng.regions.models import Organisation, Region

from . import selectors, services
from .choices import RegistrationKind, WishCategory, WishStatus
from .models import (
    Activity,
    PointAccount,
    PointEntry,
    PointRule,
    Redemption,
    Registration,
    Shop,
    ShopItem,
    Signup,
    VolunteerTeam,
    Wish,
    WishClaim,
)

router = Router(tags=["群众参与"])

Points = bounded_int(-100_000, 100_000, "分值（正数奖励，负数扣减，不能为 0）")
Quantity = bounded_int(1, 10_000, "数量")
Yuan = bounded_int(0, 9_999_999, "预估金额（元）")


Moment = bounded_datetime(2000, 2100, "时间（ISO 8601，含时区；无时区按北京时间）")


def actor_of(request):
    """A staff account acts as itself; a resident account as its linked resident."""
    user = request.auth
    if user.role == Role.RESIDENT:
        resident = Resident.objects.select_related("grid").filter(account=user).first()
        if resident is None:
            raise PermissionDeniedError(_("该居民账号未关联居民档案。"))
        return resident
    return user


def _aware(value: datetime) -> datetime:
    if timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _community(actor, pk: int, field: str = "community") -> Region:
    region = lookup_or_404(Region.objects.all(), actor, pk, field=field, label=pgettext("record type", "社区/村"))
    if region.level != RegionLevel.COMMUNITY:
        raise ApplicationError(_("“%(name)s”不是社区/村。") % {"name": region.name}, field=field)
    return region


def _region(actor, pk: int | None) -> Region | None:
    return lookup_or_404(Region.objects.all(), actor, pk, field="region", label=pgettext("record type", "区域"))


def _own_or_scoped(qs, actor, pk: int, resident_lookup: str):
    """A resident sees only their own records; staff those in their scope. Otherwise 404."""
    if isinstance(actor, Resident):
        obj = qs.filter(pk=pk, **{resident_lookup: actor.pk}).first()
        if obj is None:
            raise NotFoundError(_("未找到该记录，或您无权查看。"))
        return obj
    return get_scoped_or_404(qs, actor, pk=pk)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# --- schemas ------------------------------------------------------------------------------------


class CommunityRef(Schema):
    id: int
    name: str


def _ref(region: Region) -> dict:
    return {"id": region.pk, "name": region.name}


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


# --- wishes -------------------------------------------------------------------------------------


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


# --- points -------------------------------------------------------------------------------------


class RuleOut(Schema):
    id: int
    community: CommunityRef
    code: str
    name: str
    points: int
    requires_evidence: bool
    source: str
    expires_after_days: int | None
    active: bool


def rule_out(r: PointRule) -> dict:
    return {"id": r.pk, "community": _ref(r.community), "code": r.code, "name": r.name, "points": r.points,
            "requires_evidence": r.requires_evidence, "source": r.source,
            "expires_after_days": r.expires_after_days, "active": r.active}


class RuleFilter(Schema):
    community: ObjectId = Field(..., description="社区/村 ID")  # type: ignore[valid-type]


class RuleIn(Schema):
    community: ObjectId = Field(..., description="社区/村 ID")  # type: ignore[valid-type]
    code: text(40, min_length=1, description="编码", pattern=r"^[0-9A-Za-z_.-]{1,40}$")  # type: ignore[valid-type]
    name: text(100, min_length=1, description="名称")  # type: ignore[valid-type]
    points: Points  # type: ignore[valid-type]
    requires_evidence: strict_bool("须附佐证") = False  # type: ignore[valid-type]
    expires_after_days: bounded_int(1, 3650, "有效期（天），省略则不过期") | None = None  # type: ignore[valid-type]


@router.get("/rules", response={200: list[RuleOut], LIST_ERRORS: Error}, summary="积分规则",
            description="社区/村启用中的积分细则（奖励在前，扣减在后）。居民账号看本社区的细则。")
def rule_list(request, filters: Query[RuleFilter]):
    actor = actor_of(request)
    if isinstance(actor, Resident):
        community = selectors.resident_community(actor)
        if community.pk != filters.community:
            raise ApplicationError(_("只能查看本社区/村的积分细则。"), field="community")
    else:
        community = _community(actor, filters.community)
    return [rule_out(r) for r in selectors.point_rules(community=community).select_related("community")]


@router.post("/rules", response={201: RuleOut, CREATE_ERRORS: Error}, summary="新增积分规则",
             description="社区/村及以上工作人员（网格员除外）为社区/村新增一条积分细则；同一社区编码不能重复。")
def rule_create(request, payload: RuleIn):
    actor = actor_of(request)
    community = _community(actor, payload.community)
    try:
        rule = services.point_rule_create(actor=actor, community=community, code=payload.code, name=payload.name,
                                          points=payload.points, requires_evidence=payload.requires_evidence,
                                          expires_after_days=payload.expires_after_days)
    except IntegrityError as exc:
        raise write_conflict(exc) from exc
    return Status(201, rule_out(rule))


class AccountOut(Schema):
    id: int
    community: CommunityRef
    owner: str = Field(..., description="居民姓名或单位名称")
    owner_kind: str = Field(..., description="resident 居民，organisation 单位")
    balance: int


def account_out(a: PointAccount) -> dict:
    return {"id": a.pk, "community": _ref(a.community), "owner": str(a.resident or a.organisation),
            "owner_kind": "resident" if a.resident_id else "organisation", "balance": a.balance}


class AccountPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AccountOut]


class AccountFilter(PageParams):
    region: ObjectId | None = Field(None, description="区域 ID")  # type: ignore[valid-type]


class EntryOut(Schema):
    id: int
    amount: int
    kind: str
    kind_label: str
    rule: str = Field(..., description="规则名称（如有）")
    note: str
    evidence: str
    created_at: str
    expires_at: str | None


def entry_out(e: PointEntry) -> dict:
    return {"id": e.pk, "amount": e.amount, "kind": e.kind, "kind_label": e.get_kind_display(),
            "rule": e.rule.name if e.rule_id else "", "note": e.note, "evidence": e.evidence,
            "created_at": e.created_at.isoformat(), "expires_at": _iso(e.expires_at)}


class StatementOut(Schema):
    account: AccountOut
    count: int
    limit: int
    offset: int
    items: list[EntryOut]


@router.get("/accounts", response={200: AccountPage, LIST_ERRORS: Error}, summary="积分账户",
            description="工作人员：范围内的积分账户（居民与单位）。居民账号：本人的账户（首次查看时开户）。")
def account_list(request, filters: Query[AccountFilter]):
    actor = actor_of(request)
    if isinstance(actor, Resident):
        services.account_for(resident=actor)
        qs = PointAccount.objects.filter(resident=actor).select_related("community", "resident", "organisation")
    else:
        qs = selectors.point_accounts(actor=actor, region=_region(actor, filters.region))
    return paginate(qs.order_by("id"), filters, account_out)


@router.get("/accounts/{account_id}/statement", response={200: StatementOut, READ_ERRORS: Error},
            summary="积分明细", description="一个账户的流水（最新在前）；流水之和等于余额。")
def account_statement(request, account_id: ObjectId, page: Query[PageParams]):  # type: ignore[valid-type]
    actor = actor_of(request)
    account = _own_or_scoped(PointAccount.objects.select_related("community", "resident", "organisation"), actor,
                             account_id, "resident")
    body = paginate(selectors.point_statement(actor=actor, account=account), page, entry_out)
    return {"account": account_out(account), **body}


class AwardIn(Schema):
    rule: ObjectId = Field(..., description="积分规则 ID")  # type: ignore[valid-type]
    resident: ObjectId | None = Field(None, description="居民 ID（与单位二选一）")  # type: ignore[valid-type]
    organisation: ObjectId | None = Field(None, description="单位 ID")  # type: ignore[valid-type]
    evidence: text(300, description="佐证说明（文字，如材料编号；规则要求时必填，照片在积分登记页上传）") = ""  # type: ignore[valid-type]
    note: text(200, description="说明") = ""  # type: ignore[valid-type]


class CorrectIn(Schema):
    note: text(200, min_length=1, description="更正原因")  # type: ignore[valid-type]


@router.post("/awards", response={201: EntryOut, CREATE_ERRORS: Error}, summary="评定积分",
             description="工作人员按本社区规则为居民或单位奖励（或扣减）积分；规则要求佐证时须附佐证，扣减不能超过余额。")
def award(request, payload: AwardIn):
    actor = actor_of(request)
    if isinstance(actor, Resident):
        raise PermissionDeniedError(_("居民不能评定积分。"))
    rule = lookup_or_404(PointRule.objects.select_related("community"), actor, payload.rule, field="rule",
                         label=pgettext("record type", "积分规则"))
    resident = lookup_or_404(Resident.objects.select_related("grid"), actor, payload.resident, field="resident",
                             label=pgettext("record type", "居民"))
    organisation = lookup_or_404(Organisation.objects.all(), actor, payload.organisation, field="organisation",
                                 label=pgettext("record type", "单位"))
    if (resident is None) == (organisation is None):
        raise ApplicationError(_("请选择一位居民或一个单位。"), field="resident")
    entry = services.points_award(actor=actor, rule=rule, resident=resident, organisation=organisation,
                                  evidence=payload.evidence, note=payload.note)
    return Status(201, entry_out(entry))


@router.post("/entries/{entry_id}/correct", response={201: EntryOut, WRITE_ERRORS: Error}, summary="更正积分",
             description="为一条错误的奖励或扣减记一条冲正流水（只能一次，须填原因；已被使用或过期的积分不能更正）。")
def entry_correct(request, entry_id: ObjectId, payload: CorrectIn):  # type: ignore[valid-type]
    actor = actor_of(request)
    if isinstance(actor, Resident):
        raise PermissionDeniedError(_("居民不能更正积分。"))
    entry = get_scoped_or_404(PointEntry.objects.select_related("account__community", "rule"), actor, pk=entry_id)
    return Status(201, entry_out(services.points_correct(actor=actor, entry=entry, note=payload.note)))


# --- shops --------------------------------------------------------------------------------------


class ShopOut(Schema):
    id: int
    community: CommunityRef
    name: str
    address: str
    active: bool


def shop_out(s: Shop) -> dict:
    return {"id": s.pk, "community": _ref(s.community), "name": s.name, "address": s.address, "active": s.active}


class ShopIn(Schema):
    community: ObjectId = Field(..., description="社区/村 ID")  # type: ignore[valid-type]
    name: text(100, min_length=1, description="名称")  # type: ignore[valid-type]
    address: text(200, description="地址") = ""  # type: ignore[valid-type]


class ItemOut(Schema):
    id: int
    shop_id: int
    shop: str
    name: str
    price: int
    stock: int
    active: bool


def item_out(i: ShopItem) -> dict:
    return {"id": i.pk, "shop_id": i.shop_id, "shop": i.shop.name, "name": i.name, "price": i.price,
            "stock": i.stock, "active": i.active}


class ItemIn(Schema):
    name: text(100, min_length=1, description="商品名称")  # type: ignore[valid-type]
    price: bounded_int(1, 1_000_000, "所需积分")  # type: ignore[valid-type]
    stock: bounded_int(0, 1_000_000, "初始库存") = 0  # type: ignore[valid-type]


class RestockIn(Schema):
    quantity: bounded_int(1, 1_000_000, "补货数量")  # type: ignore[valid-type]


class RegionFilter(Schema):
    region: ObjectId | None = Field(None, description="区域 ID")  # type: ignore[valid-type]


class ItemFilter(Schema):
    community: ObjectId = Field(..., description="社区/村 ID")  # type: ignore[valid-type]


@router.get("/shops", response={200: list[ShopOut], LIST_ERRORS: Error}, summary="积分超市",
            description="范围内的积分超市。")
def shop_list(request, filters: Query[RegionFilter]):
    actor = actor_of(request)
    if isinstance(actor, Resident):
        qs = Shop.objects.filter(community=selectors.resident_community(actor))
    else:
        qs = restrict(Shop.objects.all(), actor)
        region = _region(actor, filters.region)
        if region is not None:
            qs = qs.filter(community__path__startswith=region.path)
    return [shop_out(s) for s in qs.select_related("community")[:500]]


@router.post("/shops", response={201: ShopOut, CREATE_ERRORS: Error}, summary="开设积分超市",
             description="社区/村工作人员为社区开设积分超市。")
def shop_create(request, payload: ShopIn):
    actor = actor_of(request)
    community = _community(actor, payload.community)
    shop = services.shop_create(actor=actor, community=community, name=payload.name, address=payload.address)
    return Status(201, shop_out(shop))


@router.get("/items", response={200: list[ItemOut], LIST_ERRORS: Error}, summary="可兑换商品",
            description="社区/村在营业超市里上架的商品（按超市、积分排序）。")
def item_list(request, filters: Query[ItemFilter]):
    actor = actor_of(request)
    if isinstance(actor, Resident):
        community = selectors.resident_community(actor)
        if community.pk != filters.community:
            raise ApplicationError(_("只能查看本社区/村的超市。"), field="community")
    else:
        community = _community(actor, filters.community)
    return [item_out(i) for i in selectors.shop_items(community=community)]


@router.post("/shops/{shop_id}/items", response={201: ItemOut, WRITE_ERRORS: Error}, summary="上架商品",
             description="为超市上架一件商品（积分须为正，库存不能为负）。")
def item_create(request, shop_id: ObjectId, payload: ItemIn):  # type: ignore[valid-type]
    actor = actor_of(request)
    if isinstance(actor, Resident):
        raise PermissionDeniedError(_("居民不能管理超市。"))
    shop = get_scoped_or_404(Shop.objects.select_related("community"), actor, pk=shop_id)
    item = services.shop_item_create(actor=actor, shop=shop, name=payload.name, price=payload.price,
                                     stock=payload.stock)
    return Status(201, item_out(item))


@router.post("/items/{item_id}/restock", response={200: ItemOut, WRITE_ERRORS: Error}, summary="补货",
             description="增加商品库存。")
def item_restock(request, item_id: ObjectId, payload: RestockIn):  # type: ignore[valid-type]
    actor = actor_of(request)
    if isinstance(actor, Resident):
        raise PermissionDeniedError(_("居民不能管理超市。"))
    item = get_scoped_or_404(ShopItem.objects.select_related("shop__community"), actor, pk=item_id)
    return item_out(services.shop_item_restock(actor=actor, item=item, quantity=payload.quantity))


class RedemptionOut(Schema):
    id: int
    account_id: int
    owner: str
    item: str
    quantity: int
    points: int
    status: str
    status_label: str
    created_at: str
    closed_at: str | None


def redemption_out(r: Redemption) -> dict:
    return {"id": r.pk, "account_id": r.account_id, "owner": str(r.account), "item": r.item.name,
            "quantity": r.quantity, "points": r.points, "status": r.status, "status_label": r.get_status_display(),
            "created_at": r.created_at.isoformat(), "closed_at": _iso(r.closed_at)}


class RedemptionPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[RedemptionOut]


class RedemptionFilter(PageParams):
    region: ObjectId | None = Field(None, description="区域 ID")  # type: ignore[valid-type]


class RedemptionIn(Schema):
    item: ObjectId = Field(..., description="商品 ID")  # type: ignore[valid-type]
    quantity: Quantity = 1  # type: ignore[valid-type]
    account: ObjectId | None = Field(None, description="积分账户 ID（工作人员代为兑换时必填；居民省略）")  # type: ignore[valid-type]


class CancelIn(Schema):
    note: text(200, description="取消原因") = ""  # type: ignore[valid-type]


_REDEMPTIONS = Redemption.objects.select_related("item", "account__resident", "account__organisation",
                                                 "account__community")


@router.get("/redemptions", response={200: RedemptionPage, LIST_ERRORS: Error}, summary="兑换记录",
            description="工作人员：范围内的兑换；居民账号：本人的兑换。")
def redemption_list(request, filters: Query[RedemptionFilter]):
    actor = actor_of(request)
    if isinstance(actor, Resident):
        qs = _REDEMPTIONS.filter(account__resident=actor)
    else:
        qs = selectors.redemptions(actor=actor, region=_region(actor, filters.region)).select_related(
            "account__organisation")
    return paginate(qs.order_by("-id"), filters, redemption_out)


@router.post("/redemptions", response={201: RedemptionOut, CREATE_ERRORS: Error}, summary="兑换商品",
             description="扣积分与减库存在同一事务内完成：余额或库存不足时什么也不写。")
def redemption_create(request, payload: RedemptionIn):
    actor = actor_of(request)
    if isinstance(actor, Resident):
        account = services.account_for(resident=actor)
        item = ShopItem.objects.select_related("shop__community").filter(
            pk=payload.item, shop__community=account.community).first()
        if item is None:
            raise NotFoundError(_("商品（ID %(id)s）不存在，或不在本社区/村的超市。") % {"id": payload.item}, field="item")
    else:
        if payload.account is None:
            raise ApplicationError(_("请选择积分账户。"), field="account")
        account = lookup_or_404(PointAccount.objects.select_related("community"), actor, payload.account,
                                field="account", label=pgettext("record type", "积分账户"))
        item = lookup_or_404(ShopItem.objects.select_related("shop__community"), actor, payload.item,
                             field="item", label=pgettext("record type", "商品"))
    redemption = services.redemption_create(actor=actor, account=account, item=item, quantity=payload.quantity)
    return Status(201, redemption_out(_REDEMPTIONS.get(pk=redemption.pk)))


@router.post("/redemptions/{redemption_id}/cancel", response={200: RedemptionOut, WRITE_ERRORS: Error},
             summary="取消兑换", description="待领取的兑换可取消，积分与库存一并退回。")
def redemption_cancel(request, redemption_id: ObjectId, payload: CancelIn):  # type: ignore[valid-type]
    actor = actor_of(request)
    redemption = _own_or_scoped(_REDEMPTIONS, actor, redemption_id, "account__resident")
    services.redemption_cancel(actor=actor, redemption=redemption, note=payload.note)
    return redemption_out(_REDEMPTIONS.get(pk=redemption.pk))


@router.post("/redemptions/{redemption_id}/collect", response={200: RedemptionOut, WRITE_ERRORS: Error},
             summary="领取兑换", description="超市工作人员交付商品。")
def redemption_collect(request, redemption_id: ObjectId):  # type: ignore[valid-type]
    actor = actor_of(request)
    if isinstance(actor, Resident):
        raise PermissionDeniedError(_("由工作人员确认领取。"))
    redemption = get_scoped_or_404(_REDEMPTIONS, actor, pk=redemption_id)
    services.redemption_collect(actor=actor, redemption=redemption)
    return redemption_out(_REDEMPTIONS.get(pk=redemption.pk))


# --- volunteering ---------------------------------------------------------------------------------


class ActivityOut(Schema):
    id: int
    community: CommunityRef
    title: str
    place: str
    starts_at: str
    ends_at: str
    capacity: int
    signed_up: int = Field(..., description="已报名人数")
    cancelled: bool


def activity_out(a: Activity) -> dict:
    return {"id": a.pk, "community": _ref(a.community), "title": a.title, "place": a.place,
            "starts_at": a.starts_at.isoformat(), "ends_at": a.ends_at.isoformat(), "capacity": a.capacity,
            "signed_up": selectors.activity_signed_up(a), "cancelled": a.cancelled}


class ActivityPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ActivityOut]


class ActivityIn(Schema):
    community: ObjectId = Field(..., description="社区/村 ID")  # type: ignore[valid-type]
    title: text(100, min_length=1, description="活动名称")  # type: ignore[valid-type]
    starts_at: Moment  # type: ignore[valid-type]
    ends_at: Moment  # type: ignore[valid-type]
    capacity: bounded_int(1, 100_000, "名额")  # type: ignore[valid-type]
    place: text(200, description="地点") = ""  # type: ignore[valid-type]
    skills: text(200, description="所需技能") = ""  # type: ignore[valid-type]
    description: text(2000, description="内容") = ""  # type: ignore[valid-type]


class SignupOut(Schema):
    id: int
    activity_id: int
    volunteer: str
    status: str
    checked_in_at: str | None
    checked_out_at: str | None
    minutes: int


def signup_out(s: Signup) -> dict:
    return {"id": s.pk, "activity_id": s.activity_id, "volunteer": s.registration.registrant_name,
            "status": s.status, "checked_in_at": _iso(s.checked_in_at), "checked_out_at": _iso(s.checked_out_at),
            "minutes": s.minutes}


class SignupIn(Schema):
    registration: ObjectId | None = Field(None, description="报到登记 ID（工作人员代报时必填；居民省略，用本人在该社区的报到）")  # type: ignore[valid-type]
    organisation: ObjectId | None = Field(None, description="所代表的双报到单位 ID")  # type: ignore[valid-type]


class PresenceIn(Schema):
    token: text(500, description="签到码（居民扫码时必填）") = ""  # type: ignore[valid-type]


_SIGNUPS = Signup.objects.select_related("activity__community", "registration__resident",
                                         "registration__worker", "registration__organisation")


@router.get("/activities", response={200: ActivityPage, LIST_ERRORS: Error}, summary="志愿活动",
            description="工作人员：范围内的活动；居民账号：本社区/村的活动。最新在前。")
def activity_list(request, filters: Query[AccountFilter]):
    actor = actor_of(request)
    if isinstance(actor, Resident):
        qs = Activity.objects.filter(community=selectors.resident_community(actor), cancelled=False)
    else:
        qs = restrict(Activity.objects.all(), actor)
        region = _region(actor, filters.region)
        if region is not None:
            qs = qs.filter(community__path__startswith=region.path)
    return paginate(selectors.with_signed_up(qs.select_related("community")).order_by("-starts_at", "-id"),
                    filters, activity_out)


@router.post("/activities", response={201: ActivityOut, CREATE_ERRORS: Error}, summary="发布志愿活动",
             description="工作人员为社区/村发布活动：时间窗口与名额。")
def activity_create(request, payload: ActivityIn):
    actor = actor_of(request)
    community = _community(actor, payload.community)
    activity = services.activity_create(
        actor=actor, community=community, title=payload.title, starts_at=_aware(payload.starts_at),
        ends_at=_aware(payload.ends_at), capacity=payload.capacity, place=payload.place, skills=payload.skills,
        description=payload.description)
    return Status(201, activity_out(activity))


@router.get("/activities/{activity_id}/signups", response={200: list[SignupOut], READ_ERRORS: Error},
            summary="活动报名名单", description="工作人员查看一个活动的报名、签到与时长。")
def signup_list(request, activity_id: ObjectId):  # type: ignore[valid-type]
    actor = actor_of(request)
    if isinstance(actor, Resident):
        raise PermissionDeniedError(_("居民不能查看报名名单。"))
    activity = get_scoped_or_404(Activity.objects.all(), actor, pk=activity_id)
    return [signup_out(s) for s in restrict(_SIGNUPS.filter(activity=activity), actor).order_by("id")]


@router.post("/activities/{activity_id}/signups", response={201: SignupOut, WRITE_ERRORS: Error}, summary="报名活动",
             description="居民本人报名（须已在本社区/村以党员或志愿者报到），或工作人员为已报到人员代报；名额满时退回。")
def signup_create(request, activity_id: ObjectId, payload: SignupIn):  # type: ignore[valid-type]
    actor = actor_of(request)
    if isinstance(actor, Resident):
        activity = Activity.objects.select_related("community").filter(pk=activity_id).first()
        if activity is None or activity.community_id != selectors.resident_community(actor).pk:
            raise NotFoundError(_("未找到该活动。"))
        registration = Registration.objects.filter(resident=actor, community=activity.community, active=True).first()
        if registration is None:
            raise ApplicationError(_("请先在本社区/村报到为志愿者。"), field="registration")
    else:
        activity = get_scoped_or_404(Activity.objects.select_related("community"), actor, pk=activity_id)
        if payload.registration is None:
            raise ApplicationError(_("请选择报到登记。"), field="registration")
        registration = lookup_or_404(Registration.objects.all(), actor, payload.registration, field="registration",
                                     label=pgettext("record type", "报到登记"))
    organisation = lookup_or_404(Organisation.objects.all(), actor, payload.organisation, field="organisation",
                                 label=pgettext("record type", "单位")) if not isinstance(actor, Resident) else (
        Organisation.objects.filter(pk=payload.organisation).first() if payload.organisation else None)
    try:
        signup = services.signup_create(actor=actor, activity=activity, registration=registration,
                                        organisation=organisation)
    except IntegrityError as exc:
        raise write_conflict(exc) from exc
    return Status(201, signup_out(_SIGNUPS.get(pk=signup.pk)))


@router.post("/signups/{signup_id}/check-in", response={200: SignupOut, WRITE_ERRORS: Error}, summary="签到",
             description="工作人员为志愿者签到，或居民凭工作人员出示的签到码（5 分钟有效）本人签到；活动开始前 30 分钟至结束可签到。")
def signup_check_in(request, signup_id: ObjectId, payload: PresenceIn):  # type: ignore[valid-type]
    actor = actor_of(request)
    signup = _own_or_scoped(_SIGNUPS, actor, signup_id, "registration__resident")
    services.signup_check_in(actor=actor, signup=signup, token=payload.token or None)
    return signup_out(_SIGNUPS.get(pk=signup.pk))


@router.post("/signups/{signup_id}/check-out", response={200: SignupOut, WRITE_ERRORS: Error}, summary="签退",
             description="签退计算活动时间窗口内的服务时长；居民志愿者按社区“志愿服务签退”规则获得积分。")
def signup_check_out(request, signup_id: ObjectId, payload: PresenceIn):  # type: ignore[valid-type]
    actor = actor_of(request)
    signup = _own_or_scoped(_SIGNUPS, actor, signup_id, "registration__resident")
    services.signup_check_out(actor=actor, signup=signup, token=payload.token or None)
    return signup_out(_SIGNUPS.get(pk=signup.pk))


class RegistrationOut(Schema):
    id: int
    community: CommunityRef
    kind: str
    kind_label: str
    registrant: str = Field(..., description="单位名称或人员姓名")
    team: str | None
    active: bool
    registered_at: str


def registration_out(r: Registration) -> dict:
    return {"id": r.pk, "community": _ref(r.community), "kind": r.kind, "kind_label": r.get_kind_display(),
            "registrant": r.registrant_name, "team": r.team.name if r.team_id else None, "active": r.active,
            "registered_at": r.registered_at.isoformat()}


class RegistrationPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[RegistrationOut]


class RegistrationIn(Schema):
    community: ObjectId = Field(..., description="社区/村 ID")  # type: ignore[valid-type]
    kind: choice(RegistrationKind, "报到类型")  # type: ignore[valid-type]
    organisation: ObjectId | None = Field(None, description="单位 ID（单位报到）")  # type: ignore[valid-type]
    resident: ObjectId | None = Field(None, description="居民 ID（党员报到、志愿者）")  # type: ignore[valid-type]
    worker: ObjectId | None = Field(None, description="特聘网格员 ID（特聘力量）")  # type: ignore[valid-type]
    team: ObjectId | None = Field(None, description="所属服务队 ID")  # type: ignore[valid-type]
    skills: text(200, description="特长") = ""  # type: ignore[valid-type]


_REGISTRATIONS = Registration.objects.select_related("community", "organisation", "resident", "worker", "team")


@router.get("/registrations", response={200: RegistrationPage, LIST_ERRORS: Error}, summary="双报到登记",
            description="工作人员：范围内的单位、党员、志愿者和特聘力量报到；居民账号：本人的报到。")
def registration_list(request, filters: Query[AccountFilter]):
    actor = actor_of(request)
    if isinstance(actor, Resident):
        qs = _REGISTRATIONS.filter(resident=actor)
    else:
        qs = restrict(_REGISTRATIONS, actor)
        region = _region(actor, filters.region)
        if region is not None:
            qs = qs.filter(community__path__startswith=region.path)
    return paginate(qs.order_by("-registered_at", "-id"), filters, registration_out)


@router.post("/registrations", response={201: RegistrationOut, CREATE_ERRORS: Error}, summary="报到登记",
             description="工作人员登记单位、党员、志愿者或特聘力量；居民账号本人以党员或志愿者报到（resident 省略）。"
                         "同一对象在一个社区/村只有一条有效报到（409）。")
def registration_create(request, payload: RegistrationIn):
    actor = actor_of(request)
    if isinstance(actor, Resident):
        community = selectors.resident_community(actor)
        if community.pk != payload.community:
            raise ApplicationError(_("只能在本社区/村报到。"), field="community")
        resident, organisation, worker, team = actor, None, None, None
        if payload.organisation or payload.worker or payload.team:
            raise ApplicationError(_("居民只能本人报到。"), field="organisation")
    else:
        community = _community(actor, payload.community)
        resident = lookup_or_404(Resident.objects.all(), actor, payload.resident, field="resident", label=pgettext("record type", "居民"))
        organisation = lookup_or_404(Organisation.objects.all(), actor, payload.organisation, field="organisation",
                                     label=pgettext("record type", "单位"))
        worker = lookup_or_404(GridWorker.objects.all(), actor, payload.worker, field="worker", label=pgettext("record type", "网格员"))
        team = lookup_or_404(VolunteerTeam.objects.all(), actor, payload.team, field="team", label=pgettext("record type", "服务队"))
    try:
        registration = services.registration_create(
            actor=actor, community=community, kind=payload.kind, organisation=organisation, resident=resident,
            worker=worker, team=team, skills=payload.skills)
    except IntegrityError as exc:
        raise write_conflict(exc) from exc
    return Status(201, registration_out(_REGISTRATIONS.get(pk=registration.pk)))


# --- rankings -----------------------------------------------------------------------------------


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
