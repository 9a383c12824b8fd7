"""Setting a round up: a scheme from a shipped template, a period, its subjects (one, or a
region's in bulk) and its raters; and removing what was added by mistake before scoring starts."""

from __future__ import annotations

from typing import Literal

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from ninja import Field, Query, Schema, Status

from jiceng.core.api_schemas import (
    LIST_ERRORS,
    WRITE_ERRORS,
    Error,
    ObjectId,
    PageParams,
    lookup_or_404,
    paginate,
    text,
)
from jiceng.core.errors import NotFoundError
from jiceng.regions.models import Region

from .. import selectors, services
from ..choices import PeriodType, SubjectType
from ..compute import fmt
from ..forms import candidate_label
from ..models import AssessmentPeriod, PeriodSubject
from ..templates import TEMPLATES, scheme_from_template
from .common import _input_names, period_out, router, scheme_out
from .schemas import Code, CountOut, Date, PeriodOut, SchemeOut

TemplateKey = Literal[tuple(TEMPLATES)]  # type: ignore[valid-type]
PeerGroup = text(64, description="排名组（同组内排名、互评；空则全部为一组）")
SubjectIds = Field(default_factory=list, max_length=1000,
                   description="考核对象 ID（本考核期的考核对象，见考核对象列表的 id）；空则为本期全部考核对象（不评自己）")


class TemplateOut(Schema):
    key: str = Field(..., description="模板编码，新建方案时填 template")
    name: str = Field(..., description="方案默认名称")
    subject_type: str
    subject_type_label: str
    period_type: str
    period_type_label: str
    summary: str = Field(..., description="评分组、权重和等次规则的简述")


class SchemeIn(Schema):
    template: TemplateKey = Field(..., description="方案模板：" + "；".join(  # type: ignore[valid-type]
        f"{t.key}={t.name}" for t in TEMPLATES.values()))
    region_id: ObjectId = Field(..., description="方案所属区域（市、区县、街道/乡镇或社区/村，须在调用者管辖范围内）")  # type: ignore[valid-type]
    name: text(100, description="方案名称（空则用模板名称）") = ""  # type: ignore[valid-type]


class PeriodIn(Schema):
    label: text(100, description="名称（空则按周期自动命名，如“2026年第二季度”）") = ""  # type: ignore[valid-type]
    starts_on: Date | None = Field(None, description="开始日期（与结束日期同时填写；都不填则取今天所在的这一期，方案已有考核期时取最后一期的下一期）")  # type: ignore[valid-type]
    ends_on: Date | None = Field(None, description="结束日期")  # type: ignore[valid-type]


class SubjectOut(Schema):
    id: int = Field(..., description="考核对象在本考核期的 ID（评分任务、加减分、移除时用）")
    subject_type: str
    subject_id: int = Field(..., description="被考核的网格员、账号、区域、单位或部门的 ID")
    display_name: str
    peer_group: str
    user_id: int | None = Field(..., description="考核对象本人的账号（互评、申诉）")
    assignments: int = Field(..., description="评该对象的评分任务数")
    ratings: int = Field(..., description="已保存的评分数（有评分的不能移除）")


class SubjectPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[SubjectOut]


class CandidateOut(Schema):
    subject_id: int = Field(..., description="添加时填的 subject_id")
    name: str = Field(..., description="名称（所在区域）")
    in_period: bool = Field(..., description="已在本考核期")


class CandidatePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CandidateOut]


class CandidateFilter(PageParams):
    region: ObjectId | None = Field(None, description="只列该区域内的（须在方案的组织区域内）")  # type: ignore[valid-type]


class SubjectIn(Schema):
    subject_id: ObjectId = Field(..., description="被考核对象的 ID（见可添加的考核对象）")  # type: ignore[valid-type]
    peer_group: PeerGroup = ""  # type: ignore[valid-type]


class BulkIn(Schema):
    region_id: ObjectId = Field(..., description="区域：添加其中全部符合条件的考核对象，已在本期的跳过")  # type: ignore[valid-type]
    peer_group: PeerGroup = ""  # type: ignore[valid-type]


class BulkOut(Schema):
    added: list[SubjectOut]
    skipped: int = Field(..., description="已在本期、跳过的个数")


class RaterOut(Schema):
    rater_id: int
    rater: str
    username: str
    subjects: int = Field(..., description="评几个考核对象")
    ratings: int = Field(..., description="已保存的评分数（有评分的不能移除）")


class RaterGroupOut(Schema):
    code: str
    name: str
    kind: str
    weight: str
    peer: bool
    anonymous: bool
    raters: list[RaterOut]


class RaterIn(Schema):
    group: Code  # type: ignore[valid-type]
    rater_id: ObjectId = Field(..., description="评分人账号 ID（调用者管辖范围内的工作人员、部门工作人员或网格员）")  # type: ignore[valid-type]
    subject_ids: list[ObjectId] = SubjectIds  # type: ignore[valid-type]


class RaterAddOut(Schema):
    group: str
    rater_id: int
    subject_ids: list[int] = Field(..., description="该评分人在该组评的考核对象（本次请求的）")


class PeerIn(Schema):
    group: Code  # type: ignore[valid-type]


class RaterRemoveIn(Schema):
    group: Code  # type: ignore[valid-type]
    rater_id: ObjectId  # type: ignore[valid-type]
    subject_ids: list[ObjectId] = Field(default_factory=list, max_length=1000,  # type: ignore[valid-type]
                                        description="只移除评这些考核对象的任务；空则移除该评分人在该组的全部任务")


def subject_out(s: PeriodSubject) -> dict:
    return {"id": s.pk, "subject_type": s.subject_type, "subject_id": s.subject_id, "display_name": s.display_name,
            "peer_group": s.peer_group, "user_id": s.user_id,
            "assignments": getattr(s, "assignment_count", 0), "ratings": getattr(s, "rating_count", 0)}


def _period_subjects(period: AssessmentPeriod, ids: list[int], field: str) -> list[PeriodSubject]:
    found = {s.pk: s for s in period.subjects.filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFoundError(_("考核对象（ID %(id)s）不属于本考核期。") % {"id": missing[0]}, field=field)
    return [found[i] for i in dict.fromkeys(ids)]


@router.get("/templates", response={200: list[TemplateOut], LIST_ERRORS: Error}, summary="方案模板",
            description="随平台提供的考核方案模板（集贤社区工作者、张家口社区书记、物业三方）：考核对象类型、考核周期和规则。")
def template_list(request):
    return [{"key": t.key, "name": t.name, "subject_type": t.subject_type,
             "subject_type_label": str(SubjectType(t.subject_type).label), "period_type": t.period_type,
             "period_type_label": str(PeriodType(t.period_type).label), "summary": str(t.summary)}
            for t in TEMPLATES.values()]


@router.post("/schemes", response={201: SchemeOut, WRITE_ERRORS: Error}, summary="从模板新建考核方案",
             description="按模板新建方案（考核对象类型、考核周期和规则来自模板），属于调用者管辖范围内的一个区域；"
                         "区域不在范围内 404，不是区县工作人员、街道/乡镇或社区/村工作人员 403，网格 400（region_id）。")
def scheme_create(request, payload: SchemeIn):
    actor = request.auth
    region = lookup_or_404(Region.objects.all(), actor, payload.region_id, field="region_id",
                           label=pgettext("record type", "区域"))
    with _input_names(region="region_id"):
        scheme = scheme_from_template(actor=actor, template=payload.template, region=region, name=payload.name)
    return Status(201, scheme_out(scheme))


@router.post("/schemes/{id}/periods", response={201: PeriodOut, WRITE_ERRORS: Error}, summary="新建考核期",
             description="方案的一个新考核期（草稿，用方案最新版本），不带入任何对象；默认为今天所在的这一期（方案已有考核期时为最后一期的下一期）并按周期命名"
                         "（如“2026年第二季度”）。与本方案已有考核期日期重叠时 400（starts_on）。仅方案管理者。")
def period_create(request, id: ObjectId, payload: PeriodIn):  # type: ignore[valid-type]
    actor = request.auth
    period = services.period_start(actor=actor, scheme=selectors.scheme_get(actor, id), label=payload.label,
                                   starts_on=payload.starts_on, ends_on=payload.ends_on)
    return Status(201, period_out(period, actor))


@router.delete("/periods/{id}", response={204: None, WRITE_ERRORS: Error}, summary="删除考核期",
               description="删除误建的考核期及其考核对象和评分任务，记入审计日志。只有草稿（开始评分前）可以，且不能有评分、"
                           "加减分、结果或申诉，也不能是别的考核期折算的平时考核：否则 400（state）。仅方案管理者（可新建考核期的人）。")
def period_delete(request, id: ObjectId):  # type: ignore[valid-type]
    actor = request.auth
    services.period_delete(actor=actor, period=selectors.managed_period(actor, id))
    return Status(204, None)


@router.get("/periods/{id}/subjects", response={200: SubjectPage, LIST_ERRORS: Error}, summary="考核期的考核对象",
            description="本期全部考核对象，含评分任务数和已保存评分数。仅方案管理者（其他人 403）。")
def subject_list(request, id: ObjectId, params: Query[PageParams]):  # type: ignore[valid-type]
    period = selectors.managed_period(request.auth, id)
    return paginate(selectors.period_subject_rows(request.auth, period), params, subject_out)


@router.get("/periods/{id}/subjects/candidates", response={200: CandidatePage, LIST_ERRORS: Error},
            summary="可添加的考核对象",
            description="方案组织区域内（可再限定到一个区域）符合方案考核对象类型的对象：在岗网格员、在用的社区/村工作人员账号、"
                        "社区/村、街道/乡镇、物业服务企业或部门，并标出已在本期的。仅方案管理者。")
def candidate_list(request, id: ObjectId, filters: Query[CandidateFilter]):  # type: ignore[valid-type]
    actor = request.auth
    period = selectors.managed_period(actor, id)
    region = lookup_or_404(Region.objects.all(), actor, filters.region, field="region",
                           label=pgettext("record type", "区域"))
    present = set(period.subjects.values_list("subject_id", flat=True))
    return paginate(selectors.subject_candidates(actor, period.scheme, region), filters,
                    lambda o: {"subject_id": o.pk, "name": candidate_label(o), "in_period": o.pk in present})


@router.post("/periods/{id}/subjects", response={201: SubjectOut, WRITE_ERRORS: Error}, summary="添加一个考核对象",
             description="subject_id 为可添加的考核对象之一（方案组织区域内、符合考核对象类型）；不在其中 404，已在本期 400"
                         "（subject_id），评分结束后 400（state）。仅方案管理者。")
def subject_add(request, id: ObjectId, payload: SubjectIn):  # type: ignore[valid-type]
    actor = request.auth
    period = selectors.managed_period(actor, id)
    obj = selectors.subject_candidates(actor, period.scheme).filter(pk=payload.subject_id).first()
    if obj is None:
        raise NotFoundError(_("考核对象（ID %(id)s）不存在、不符合方案，或不在方案的组织区域内。") % {
            "id": payload.subject_id}, field="subject_id")
    with _input_names(subject="subject_id"):
        subject = services.period_subject_add(actor=actor, period=period, obj=obj, peer_group=payload.peer_group)
    return Status(201, subject_out(subject))


@router.post("/periods/{id}/subjects/bulk", response={200: BulkOut, WRITE_ERRORS: Error}, summary="按区域批量添加考核对象",
             description="添加区域内全部符合条件的考核对象（同“可添加的考核对象”），已在本期的跳过并计数。区域不在调用者管辖范围内 404，"
                         "不在方案的组织区域内 400（region_id）。仅方案管理者。")
def subjects_bulk(request, id: ObjectId, payload: BulkIn):  # type: ignore[valid-type]
    actor = request.auth
    period = selectors.managed_period(actor, id)
    region = lookup_or_404(Region.objects.all(), actor, payload.region_id, field="region_id",
                           label=pgettext("record type", "区域"))
    with _input_names(region="region_id"):
        made = services.period_subjects_add_bulk(actor=actor, period=period, region=region,
                                                 peer_group=payload.peer_group)
    return {"added": [subject_out(s) for s in made.added], "skipped": made.skipped}


@router.delete("/periods/{id}/subjects/{subject_id}", response={204: None, WRITE_ERRORS: Error},
               summary="移除考核对象",
               description="移除误加的考核对象及其评分任务（互评组中它评别人的任务也一并移除），记入审计日志。"
                           "只在草稿（开始评分前）可以；已有评分、加减分、结果或申诉的对象 400（state），不会删除任何已保存的内容。")
def subject_remove(request, id: ObjectId, subject_id: ObjectId):  # type: ignore[valid-type]
    actor = request.auth
    period = selectors.managed_period(actor, id)
    subject = _period_subjects(period, [subject_id], "subject_id")[0]
    services.period_subject_remove(actor=actor, period=period, subject=subject)
    return Status(204, None)


@router.get("/periods/{id}/raters", response={200: list[RaterGroupOut], LIST_ERRORS: Error}, summary="考核期的评分人",
            description="按评分组列出评分人、各评几个考核对象、已保存几条评分。仅方案管理者。")
def rater_list(request, id: ObjectId):  # type: ignore[valid-type]
    period = selectors.managed_period(request.auth, id)
    return [{"code": g["group"].code, "name": g["group"].name, "kind": g["group"].kind,
             "weight": fmt(g["group"].weight), "peer": g["group"].peer, "anonymous": g["group"].anonymous,
             "raters": [{"rater_id": r["rater"].pk, "rater": str(r["rater"]), "username": r["rater"].username,
                         "subjects": r["subjects"], "ratings": r["ratings"]} for r in g["raters"]]}
            for g in selectors.period_rater_rows(request.auth, period)]


@router.post("/periods/{id}/raters", response={201: RaterAddOut, WRITE_ERRORS: Error}, summary="添加评分人",
             description="让一个评分人在一个评分组中评若干考核对象（不填 subject_ids 则评本期全部，不评自己）；已有的不重复。"
                         "评分人不在调用者管辖范围内 404（rater_id）；评分结束后 400（state）。仅方案管理者。")
def rater_add(request, id: ObjectId, payload: RaterIn):  # type: ignore[valid-type]
    actor = request.auth
    period = selectors.managed_period(actor, id)
    rater = selectors.rater_candidates(actor).filter(pk=payload.rater_id).first()
    if rater is None:
        raise NotFoundError(_("评分人（ID %(id)s）不存在，或不在您的管辖范围内。") % {"id": payload.rater_id},
                            field="rater_id")
    subjects = _period_subjects(period, payload.subject_ids, "subject_ids") if payload.subject_ids else None
    with _input_names(rater="rater_id", subjects="subject_ids"):
        made = services.assignment_create(actor=actor, period=period, group=payload.group, rater=rater,
                                          subjects=subjects)
    return Status(201, {"group": payload.group, "rater_id": rater.pk, "subject_ids": [a.subject_id for a in made]})


@router.post("/periods/{id}/raters/peers", response={201: CountOut, WRITE_ERRORS: Error}, summary="生成互评任务",
             description="互评组：每个有账号的考核对象评同一排名组的其他对象，不评自己；已有的不重复。count 为该组的互评任务数。"
                         "仅方案管理者。")
def raters_peers(request, id: ObjectId, payload: PeerIn):  # type: ignore[valid-type]
    actor = request.auth
    made = services.peer_assignments_create(actor=actor, period=selectors.managed_period(actor, id), group=payload.group)
    return Status(201, {"count": len(made)})


@router.post("/periods/{id}/raters/remove", response={200: CountOut, WRITE_ERRORS: Error}, summary="移除评分人",
             description="移除误加的评分人在一个评分组中的评分任务（全部，或只评 subject_ids 的），记入审计日志；count 为移除数。"
                         "只在草稿（开始评分前）可以；已保存评分的 400（state）。仅方案管理者。")
def rater_remove(request, id: ObjectId, payload: RaterRemoveIn):  # type: ignore[valid-type]
    actor = request.auth
    period = selectors.managed_period(actor, id)
    found = period.assignments.filter(rater_id=payload.rater_id).select_related("rater").first()
    if found is None:
        raise NotFoundError(_("评分人（ID %(id)s）在本考核期没有评分任务。") % {"id": payload.rater_id},
                            field="rater_id")
    subjects = _period_subjects(period, payload.subject_ids, "subject_ids") if payload.subject_ids else None
    with _input_names(rater="rater_id", subjects="subject_ids"):
        count = services.assignment_remove(actor=actor, period=period, group=payload.group, rater=found.rater,
                                           subjects=subjects)
    return {"count": count}
