"""Volunteering: activities, sign-ups with check-in and check-out, and 双报到 registrations."""

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
    bounded_int,
    choice,
    lookup_or_404,
    paginate,
    text,
    write_conflict,
)
from jiceng.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from jiceng.core.scope import get_scoped_or_404, restrict
from jiceng.people.models import GridWorker, Resident
from jiceng.regions.models import Organisation

from .. import selectors, services
from ..choices import RegistrationKind
from ..models import Activity, Registration, Signup, VolunteerTeam
from .common import (
    CommunityRef,
    Moment,
    _aware,
    _community,
    _iso,
    _own_or_scoped,
    _ref,
    _region,
    actor_of,
    router,
)
from .points import AccountFilter


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
