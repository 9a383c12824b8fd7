"""Volunteering and 双报到: teams, registrations, activities, sign-up, check-in and check-out.

Check-in and check-out are done by a worker, or by the volunteer scanning the signed QR token a worker
shows (``activity_checkin_token``: django.core.signing, own salt, valid a few minutes).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from jiceng.people.choices import PoliticalStatus, WorkerKind
from jiceng.people.models import GridWorker, Resident
from jiceng.regions.models import Organisation, Region

from ..choices import RegistrationKind, RuleSource, SignupStatus
from ..models import Activity, Registration, Signup, VolunteerTeam
from ._common import (
    actor_fields,
    audit,
    check_community,
    full_clean,
    is_resident,
    require_staff,
    require_staff_or_self,
    staff_covers,
)
from .points import points_award_for_source

CHECKIN_SALT = "jiceng.engagement.checkin"
CHECKIN_TOKEN_MAX_AGE = 300  # seconds: the QR code on the worker's phone is refreshed every few minutes
CHECKIN_EARLY = timedelta(minutes=30)  # check-in opens this long before the start
PARTY_STATUSES = (PoliticalStatus.PARTY_MEMBER, PoliticalStatus.PROBATIONARY)


@transaction.atomic
def team_create(*, actor, community: Region, name: str) -> VolunteerTeam:
    check_community(community)
    require_staff(actor, community, managers_only=True)
    team = VolunteerTeam(community=community, name=(name or "").strip())
    full_clean(team)
    team.save()
    audit(actor, "volunteer.team_create", team, {"name": [None, team.name]})
    return team


@transaction.atomic
def registration_create(*, actor, community: Region, kind: str, organisation: Organisation | None = None,
                        resident: Resident | None = None, worker: GridWorker | None = None,
                        team: VolunteerTeam | None = None, skills: str = "",
                        now: datetime | None = None) -> Registration:
    """双报到. Units register with the community they are paired with (by staff); party members and
    volunteers register themselves or through staff; 特聘 helpers (couriers, drivers) through staff."""
    check_community(community)
    if kind not in RegistrationKind.values:
        raise ApplicationError(_("未知的报到类型。"), field="kind")
    if sum(x is not None for x in (organisation, resident, worker)) != 1:
        raise ApplicationError(_("报到对象须为一个单位、一位居民或一位特聘网格员。"), field="registrant")
    if kind == RegistrationKind.UNIT and organisation is None:
        raise ApplicationError(_("单位报到须选择单位。"), field="organisation")
    if kind != RegistrationKind.UNIT and organisation is not None:
        raise ApplicationError(_("单位只能以单位报到登记。"), field="kind")
    if kind == RegistrationKind.PARTY_MEMBER and not (
            (resident is not None and resident.political_status in PARTY_STATUSES)
            or (worker is not None and worker.is_party_member)):
        raise ApplicationError(_("党员报到须为中共党员（含预备党员）。"), field="resident")
    if kind == RegistrationKind.HELPER and (worker is None or worker.kind != WorkerKind.SPECIAL or not worker.active):
        raise ApplicationError(_("特聘力量须为在岗的特聘网格员。"), field="worker")
    if team is not None and team.community_id != community.pk:
        raise ApplicationError(_("服务队不属于该社区/村。"), field="team")
    if is_resident(actor):
        if kind not in (RegistrationKind.PARTY_MEMBER, RegistrationKind.VOLUNTEER):
            raise PermissionDeniedError(_("居民只能本人以党员或志愿者身份报到。"))
    require_staff_or_self(actor, community, resident if is_resident(actor) else None)
    registration = Registration(community=community, kind=kind, organisation=organisation, resident=resident,
                                worker=worker, team=team, skills=(skills or "").strip(),
                                registered_at=now or timezone.now(), **actor_fields(actor))
    full_clean(registration)
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError as exc:
        raise ConflictError(_("已在该社区/村报到。"), field="registrant") from exc
    audit(actor, "volunteer.register", registration,
          {"kind": [None, kind], "community": [None, community.code], "registrant": [None, str(registration)]})
    return registration


@transaction.atomic
def activity_create(*, actor, community: Region, title: str, starts_at: datetime, ends_at: datetime,
                    capacity: int, place: str = "", skills: str = "", description: str = "") -> Activity:
    check_community(community)
    require_staff(actor, community)
    if ends_at <= starts_at:
        raise ApplicationError(_("结束时间须晚于开始时间。"), field="ends_at")
    if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity <= 0:
        raise ApplicationError(_("名额须为正整数。"), field="capacity")
    activity = Activity(community=community, title=(title or "").strip(), starts_at=starts_at, ends_at=ends_at,
                        capacity=capacity, place=place, skills=skills, description=description, **actor_fields(actor))
    full_clean(activity)
    activity.save()
    audit(actor, "volunteer.activity_create", activity,
          {"title": [None, activity.title], "starts_at": [None, starts_at], "ends_at": [None, ends_at],
           "capacity": [None, capacity]})
    return activity


@transaction.atomic
def signup_create(*, actor, activity: Activity, registration: Registration,
                  organisation: Organisation | None = None, now: datetime | None = None) -> Signup:
    """Take a place. The activity row is locked while places are counted, so concurrent sign-ups
    never exceed the capacity."""
    require_staff_or_self(actor, activity.community, registration.resident if is_resident(actor) else None)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    now = now or timezone.now()
    if activity.cancelled:
        raise ApplicationError(_("活动已取消。"), field="activity")
    if now >= activity.ends_at:
        raise ApplicationError(_("活动已结束。"), field="activity")
    if registration.organisation_id is not None:
        raise ApplicationError(_("请以个人报名，并选择所代表的单位。"), field="registration")
    if not registration.active or registration.community_id != activity.community_id:
        raise ApplicationError(_("须先在该社区/村报到。"), field="registration")
    if organisation is not None and not Registration.objects.filter(
            community=activity.community, organisation=organisation, active=True).exists():
        raise ApplicationError(_("所代表的单位未在该社区/村报到。"), field="organisation")
    taken = Signup.objects.filter(activity=activity, status=SignupStatus.SIGNED_UP).count()
    if taken >= activity.capacity:
        raise ApplicationError(_("名额已满（%(capacity)s 人）。") % {"capacity": activity.capacity}, field="capacity")
    signup = Signup(activity=activity, registration=registration, organisation=organisation, created_at=now,
                    **actor_fields(actor))
    try:
        with transaction.atomic():
            signup.save()
    except IntegrityError as exc:
        raise ConflictError(_("已报名该活动。"), field="registration") from exc
    audit(actor, "volunteer.signup", signup, {"activity": [None, activity.pk], "registration": [None, registration.pk]})
    return signup


@transaction.atomic
def signup_cancel(*, actor, signup: Signup) -> Signup:
    require_staff_or_self(actor, signup.activity.community, signup.registration.resident if is_resident(actor) else None)
    signup = Signup.objects.select_for_update().get(pk=signup.pk)
    if signup.status != SignupStatus.SIGNED_UP or signup.checked_in_at is not None:
        raise ConflictError(_("已签到或已取消的报名不能取消。"), field="status")
    signup.status = SignupStatus.CANCELLED
    signup.save(update_fields=["status"])
    audit(actor, "volunteer.signup_cancel", signup, {"status": [SignupStatus.SIGNED_UP, SignupStatus.CANCELLED]})
    return signup


def activity_checkin_token(*, actor, activity: Activity) -> str:
    """The token a worker shows as a QR code; volunteers scan it to check themselves in or out."""
    require_staff(actor, activity.community)
    return signing.dumps({"a": activity.pk, "w": actor.pk}, salt=CHECKIN_SALT)


def _check_presence(actor, signup: Signup, token: str | None) -> None:
    """A worker of the community, or the volunteer themselves holding a fresh token for this activity."""
    if is_resident(actor):
        if signup.registration.resident_id != actor.pk:
            raise PermissionDeniedError(_("只能为本人签到。"))
        if not token:
            raise ApplicationError(_("请扫描工作人员出示的签到码。"), field="token")
        try:
            data = signing.loads(token, salt=CHECKIN_SALT, max_age=CHECKIN_TOKEN_MAX_AGE)
        except signing.SignatureExpired as exc:
            raise ApplicationError(_("签到码已过期，请重新扫码。"), field="token") from exc
        except signing.BadSignature as exc:
            raise ApplicationError(_("签到码无效。"), field="token") from exc
        if data.get("a") != signup.activity_id:
            raise ApplicationError(_("签到码不属于该活动。"), field="token")
        return
    if not staff_covers(actor, signup.activity.community):
        raise PermissionDeniedError(_("您无权在该社区/村进行此操作。"))


@transaction.atomic
def signup_check_in(*, actor, signup: Signup, token: str | None = None, now: datetime | None = None) -> Signup:
    """Refused outside the activity's window (from ``CHECKIN_EARLY`` before the start to the end)."""
    _check_presence(actor, signup, token)
    signup = Signup.objects.select_for_update().select_related("activity").get(pk=signup.pk)
    now = now or timezone.now()
    activity = signup.activity
    if signup.status != SignupStatus.SIGNED_UP:
        raise ApplicationError(_("报名已取消。"), field="status")
    if signup.checked_in_at is not None:
        raise ConflictError(_("已签到。"), field="checked_in_at")
    if now < activity.starts_at - CHECKIN_EARLY or now > activity.ends_at:
        raise ApplicationError(_("不在活动时间内，不能签到。"), field="checked_in_at")
    signup.checked_in_at = now
    signup.save(update_fields=["checked_in_at"])
    audit(actor, "volunteer.check_in", signup, {"checked_in_at": [None, now]})
    return signup


@transaction.atomic
def signup_check_out(*, actor, signup: Signup, token: str | None = None, now: datetime | None = None) -> Signup:
    """Hours count only inside the activity's window. The community's ``volunteer.checkin`` rule, if
    any, awards the resident's points in the same transaction."""
    _check_presence(actor, signup, token)
    signup = Signup.objects.select_for_update().select_related("activity", "registration").get(pk=signup.pk)
    now = now or timezone.now()
    activity = signup.activity
    if signup.checked_in_at is None:
        raise ApplicationError(_("尚未签到。"), field="checked_in_at")
    if signup.checked_out_at is not None:
        raise ConflictError(_("已签退。"), field="checked_out_at")
    if now < signup.checked_in_at:
        raise ApplicationError(_("签退时间早于签到时间。"), field="checked_out_at")
    start = max(signup.checked_in_at, activity.starts_at)
    end = min(now, activity.ends_at)
    signup.checked_out_at = now
    signup.minutes = max(0, int((end - start).total_seconds() // 60))
    if signup.registration.resident_id is not None and signup.minutes > 0:
        signup.points_entry = points_award_for_source(
            actor=actor, source=RuleSource.VOLUNTEER_CHECKIN, source_type="signup", source_id=str(signup.pk),
            resident=signup.registration.resident, note=f"志愿服务：{activity.title}", now=now)
    signup.save(update_fields=["checked_out_at", "minutes", "points_entry"])
    audit(actor, "volunteer.check_out", signup,
          {"checked_out_at": [None, now], "minutes": [0, signup.minutes],
           "points_entry": [None, signup.points_entry_id]})
    return signup
