"""Points: each community's rules, the accounts and their statements, awards and corrections."""

from __future__ import annotations

from django.db import IntegrityError
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
    lookup_or_404,
    paginate,
    strict_bool,
    text,
    write_conflict,
)
from jiceng.core.errors import ApplicationError, PermissionDeniedError
from jiceng.core.scope import get_scoped_or_404
from jiceng.people.models import Resident
from jiceng.regions.models import Organisation

from .. import selectors, services
from ..models import PointAccount, PointEntry, PointRule
from .common import CommunityRef, _community, _iso, _own_or_scoped, _ref, _region, actor_of, router

Points = bounded_int(-100_000, 100_000, "分值（正数奖励，负数扣减，不能为 0）")


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
