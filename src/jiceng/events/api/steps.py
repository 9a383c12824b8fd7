"""The workflow on a case: every step (``POST /cases/{pk}/<action>``), merging a duplicate, and
whistles with the departments' report and feedback."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Schema, Status

from jiceng.core.api_schemas import WRITE_ERRORS, Error, ObjectId
from jiceng.core.errors import NotFoundError
from jiceng.people.models import Department
from jiceng.regions.models import Region

from .. import selectors, services
from ..choices import Channel, UnitKind
from ..models import Whistle
from ..units import Unit
from .common import _case, _category, _detail, _whistle_out, router
from .schemas import (
    CallbackIn,
    CaseDetail,
    DispatchIn,
    JoinIn,
    MergeIn,
    NoteIn,
    ReasonIn,
    RegisterIn,
    ReopenIn,
    SubmitIn,
    SuperviseIn,
    UnitIn,
    UnitNoteIn,
    VerifyIn,
    WhistleIn,
    WhistleOut,
)


def _unit(actor, data: UnitIn | None) -> Unit | None:
    if data is None:
        return None
    if data.kind == UnitKind.DEPARTMENT:
        dept = Department.objects.filter(pk=data.id).first()
        if dept is None:
            raise NotFoundError(_("部门（ID %(id)s）不存在。") % {"id": data.id}, field="unit")
        return Unit.of_department(dept)
    region = Region.objects.filter(pk=data.id).first()
    if region is None:
        raise NotFoundError(_("区域（ID %(id)s）不存在。") % {"id": data.id}, field="unit")
    return Unit.of_region(region)


def _done(request, pk: int) -> dict:
    return _detail(request.auth, selectors.event_get(actor=request.auth, pk=pk))


# --- workflow -----------------------------------------------------------------------------------

_ACT = {"response": {200: CaseDetail, WRITE_ERRORS: Error}}


def _step(action: str, summary: str, body: type[Schema], call) -> None:
    """``POST /cases/{pk}/<action>``: the case in the caller's scope (404 otherwise), the service
    ``call(actor, event, data)``, then the case as it is now (its detail)."""

    def endpoint(request, pk: ObjectId, data):  # type: ignore[valid-type]
        call(request.auth, _case(request, pk), data)
        return _done(request, pk)

    endpoint.__annotations__["data"] = body  # each step's own body schema (this module's annotations are strings)
    endpoint.__name__ = endpoint.__qualname__ = f"case_{action}"  # the operation id clients know
    router.post(f"/cases/{{pk}}/{action}", **_ACT, summary=summary)(endpoint)


# One row per workflow step: the path, the OpenAPI summary, the body, the service call.
_step("register", "立案（可同时派遣）", RegisterIn, lambda actor, ev, d: services.event_register(
    actor=actor, event=ev, note=d.note, category=_category(d.category), dispatch=d.dispatch, unit=_unit(actor, d.unit)))
_step("reject", "不予立案", ReasonIn, lambda actor, ev, d: services.event_reject(actor=actor, event=ev, reason=d.reason))
_step("dispatch", "派遣（不指定单位时按分类规则）", DispatchIn, lambda actor, ev, d: services.event_dispatch(
    actor=actor, event=ev, unit=_unit(actor, d.unit), note=d.note))
_step("redispatch", "改派", UnitNoteIn, lambda actor, ev, d: services.event_redispatch(
    actor=actor, event=ev, unit=_unit(actor, d.unit), note=d.note))
_step("escalate", "上报升级", ReasonIn, lambda actor, ev, d: services.event_escalate(actor=actor, event=ev, reason=d.reason))
_step("sign", "签收", NoteIn, lambda actor, ev, d: services.event_sign(actor=actor, event=ev, note=d.note))
_step("return", "退单", ReasonIn, lambda actor, ev, d: services.event_return(actor=actor, event=ev, reason=d.reason))
_step("rule", "审定（指定处置单位）", UnitNoteIn, lambda actor, ev, d: services.event_rule(
    actor=actor, event=ev, unit=_unit(actor, d.unit), note=d.note))
_step("start", "开始处置", NoteIn, lambda actor, ev, d: services.event_start(actor=actor, event=ev, note=d.note))
_step("submit", "处置反馈（提交核查）", SubmitIn, lambda actor, ev, d: services.event_submit(
    actor=actor, event=ev, note=d.note, photos=d.photos, lng=d.lng, lat=d.lat))
_step("verify", "核查（通过即结案，不通过重办）", VerifyIn, lambda actor, ev, d: services.event_verify(
    actor=actor, event=ev, passed=d.passed, note=d.note, photos=d.photos, lng=d.lng, lat=d.lat))
_step("suspend", "挂起", ReasonIn, lambda actor, ev, d: services.event_suspend(actor=actor, event=ev, reason=d.reason))
_step("resume", "恢复", NoteIn, lambda actor, ev, d: services.event_resume(actor=actor, event=ev, note=d.note))
_step("reopen", "重办", ReopenIn, lambda actor, ev, d: services.event_reopen(
    actor=actor, event=ev, reason=d.reason, unit=_unit(actor, d.unit)))
_step("void", "作废", ReasonIn, lambda actor, ev, d: services.event_void(actor=actor, event=ev, reason=d.reason))


@router.post("/cases/{pk}/merge", **_ACT, summary="合并到主事件（重复件作废）")
def case_merge(request, pk: ObjectId, data: MergeIn):
    actor = request.auth
    master = selectors.event_visible(actor).filter(pk=data.master).first()
    if master is None:
        raise NotFoundError(_("主事件（ID %(id)s）不存在，或不在您的管辖范围内。") % {"id": data.master}, field="master")
    services.event_merge(actor=actor, duplicate=_case(request, pk), master=master, note=data.note)
    return _done(request, pk)


_step("join", "附议（工作人员代录）", JoinIn, lambda actor, ev, d: services.event_join(
    event=ev, name=d.name, phone=d.phone, note=d.note, channel=Channel.HOTLINE, actor=actor))
_step("callback", "回访评价", CallbackIn, lambda actor, ev, d: services.event_rate_callback(
    actor=actor, event=ev, rating=d.rating, comment=d.comment))
_step("supervise", "督办", SuperviseIn, lambda actor, ev, d: services.event_supervise(actor=actor, event=ev, note=d.note))


# --- 吹哨报到 ------------------------------------------------------------------------------------


@router.post("/cases/{pk}/whistle", response={201: list[WhistleOut], WRITE_ERRORS: Error}, summary="吹哨")
def case_whistle(request, pk: ObjectId, data: WhistleIn):
    departments = list(Department.objects.filter(pk__in=data.departments))
    if len(departments) != len(set(data.departments)):
        raise NotFoundError(_("部分部门不存在。"), field="departments")
    rows = services.whistle_blow(actor=request.auth, event=_case(request, pk), departments=departments,
                                 reason=data.reason)
    return Status(201, [_whistle_out(w) for w in rows])


def _whistle(request, pk: int) -> Whistle:
    found = selectors.whistle_visible(request.auth).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(_("未找到该吹哨记录，或您无权查看。"))
    return found


@router.post("/whistles/{pk}/report", response={200: WhistleOut, WRITE_ERRORS: Error}, summary="部门报到")
def whistle_report(request, pk: ObjectId, data: NoteIn):
    return _whistle_out(services.whistle_report(actor=request.auth, whistle=_whistle(request, pk), note=data.note))


@router.post("/whistles/{pk}/feedback", response={200: WhistleOut, WRITE_ERRORS: Error}, summary="部门反馈")
def whistle_feedback(request, pk: ObjectId, data: ReasonIn):
    return _whistle_out(services.whistle_feedback(actor=request.auth, whistle=_whistle(request, pk),
                                                  feedback=data.reason))
