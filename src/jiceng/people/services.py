"""Every write to people: accounts, departments, grid workers, residents, and audited reveals of
personal information."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core.audit import audit_record, diff, snapshot
from jiceng.core.crypto import blind_index, blind_tokens
from jiceng.core.edits import edit_unchanged_check
from jiceng.core.errors import ApplicationError, PermissionDeniedError, validation_error_to_app_error
from jiceng.core.masking import age_on, mask_address, mask_house, mask_id_number, mask_phone, mask_tags
from jiceng.core.ratelimit import enforce
from jiceng.core.scope import in_scope, is_active_account, restrict
from jiceng.core.validators import (
    birth_date_from_id,
    contact_phone_error,
    gender_from_id,
    id_number_error,
    phone_error,
    phone_normalise,
)
from jiceng.regions.choices import GRID_LEVELS, RegionLevel
from jiceng.regions.models import House, Region

from .choices import (
    ADMIN_ROLES,
    REGION_STAFF_ROLES,
    REVEAL_ROLES,
    PoliticalStatus,
    ResidenceType,
    ResidentTag,
    Role,
    WorkerKind,
)
from .models import Department, GridAssignment, GridWorker, Resident, User

# Recorded as changed in the audit log, never with their values: birth date and gender come from the ID
# number (eight of its digits and its parity digit), so they are as secret as it is.
SECRET_FIELDS = frozenset({"id_number", "phone", "address", "tags", "birth_date", "gender"})
RESIDENT_FIELDS = ["name", "gender", "birth_date", "id_number", "phone", "address", "grid_id", "house_id",
                   "residence_type", "political_status", "is_volunteer", "tags"]
WORKER_FIELDS = ["name", "kind", "gender", "id_number", "phone", "community_id", "occupation",
                 "is_party_member", "active", "joined_on", "user_id"]

# Level of the node each region-staff role is bound to.
ROLE_LEVEL = {
    Role.COUNTY_STAFF: RegionLevel.COUNTY,
    Role.STREET_STAFF: RegionLevel.STREET,
    Role.COMMUNITY_STAFF: RegionLevel.COMMUNITY,
}


def _full_clean(obj, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise validation_error_to_app_error(exc) from exc


def can_edit_people_in(actor, region: Region) -> bool:
    """Region staff and grid workers keep the people records of their own scope."""
    if not is_active_account(actor):
        return False
    if actor.role not in (*REGION_STAFF_ROLES, Role.GRID_WORKER):
        return False
    return in_scope(region, actor)


def can_edit_resident(actor, resident: Resident) -> bool:
    """The rule ``resident_update`` applies, asked by the pages before they offer 编辑."""
    return can_edit_people_in(actor, resident.grid)


WORKER_EDIT_REFUSAL = gettext_lazy("网格员的档案由其所在社区/村及以上的工作人员维护：网格员不能修改自己或同事的档案，如需更正，请告知社区。")


def can_edit_worker(actor, worker: GridWorker) -> bool:
    """The rule ``grid_worker_update`` and ``grid_worker_set_grids`` apply: the staff of the worker's
    community and above; a grid worker keeps residents, not its colleagues' records or its own."""
    return can_edit_people_in(actor, worker.community) and actor.role != Role.GRID_WORKER


def tag_tokens(tags: list[str]) -> str:
    return blind_tokens(tags, purpose="tag")


def tag_token(tag: str) -> str:
    return blind_index(tag, purpose="tag")[:16]


# --- accounts (三员分立) -------------------------------------------------------------------------


@transaction.atomic
def user_create(*, actor, username: str, password: str, role: str, full_name: str = "",
                region: Region | None = None, department: Department | None = None, phone: str = "") -> User:
    """Accounts are created by the system admin. The admin roles themselves are granted by the
    security admin (``user_set_role``), so no single admin can create a privileged account."""
    if not is_active_account(actor) or actor.role != Role.SYSTEM_ADMIN:
        raise PermissionDeniedError(_("只有系统管理员可以创建账号。"))
    if role in ADMIN_ROLES:
        raise PermissionDeniedError(_("管理员角色须由安全管理员授予。"), field="role")
    user = _build_user(username=username, role=role, full_name=full_name, region=region,
                       department=department, phone=phone)
    _set_password_checked(user, password)
    user.save()
    audit_record(actor=actor, action="user.create", obj=user,
                 changes={"username": [None, username], "role": [None, role],
                          "region": [None, region.code if region else None],
                          "department": [None, department.code if department else None]})
    return user


def _build_user(*, username, role, full_name, region, department, phone) -> User:
    if role not in Role.values:
        raise ApplicationError(_("未知角色 %(role)s。") % {"role": role}, field="role")
    if User.objects.filter(username=username).exists():
        raise ApplicationError(_("用户名已存在。"), field="username")
    _check_binding(role, region, department)
    phone = phone_normalise((phone or "").strip())
    if phone and phone_error(phone):
        raise ApplicationError(phone_error(phone), field="phone")
    user = User(username=username, role=role, full_name=full_name, region=region, department=department,
                phone=phone, is_staff=role in ADMIN_ROLES)
    _full_clean(user, exclude=["password"])
    return user


def _check_binding(role: str, region: Region | None, department: Department | None) -> None:
    if role in ROLE_LEVEL:
        if region is None:
            raise ApplicationError(_("该角色须绑定区域。"), field="region")
        if region.level != ROLE_LEVEL[role]:
            raise ApplicationError(_("该角色须绑定到%(label)s。") % {
                "label": RegionLevel(ROLE_LEVEL[role]).label}, field="region")
    if role == Role.DEPARTMENT_STAFF and department is None:
        raise ApplicationError(_("部门工作人员须绑定部门。"), field="department")


def _set_password_checked(user: User, password: str) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages), field="password") from exc
    user.set_password(password)


@transaction.atomic
def user_set_role(*, actor, user: User, role: str, region: Region | None = None,
                  department: Department | None = None) -> User:
    """Roles and their binding are the security admin's work, and never their own account's."""
    if not is_active_account(actor) or actor.role != Role.SECURITY_ADMIN:
        raise PermissionDeniedError(_("只有安全管理员可以分配角色。"))
    if user.pk == actor.pk:
        raise PermissionDeniedError(_("不能修改自己的角色。"))
    if role not in Role.values:
        raise ApplicationError(_("未知角色 %(role)s。") % {"role": role}, field="role")
    _check_binding(role, region, department)
    user = User.objects.select_for_update().get(pk=user.pk)
    before = {"role": user.role, "region": user.region.code if user.region else None,
              "department": user.department.code if user.department else None}
    user.role, user.region, user.department = role, region, department
    user.is_staff = role in ADMIN_ROLES
    user.save(update_fields=["role", "region", "department", "is_staff"])
    after = {"role": role, "region": region.code if region else None,
             "department": department.code if department else None}
    audit_record(actor=actor, action="user.set_role", obj=user, changes=diff(before, after))
    return user


@transaction.atomic
def user_set_active(*, actor, user: User, active: bool) -> User:
    if not is_active_account(actor) or actor.role not in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN):
        raise PermissionDeniedError(_("您无权启用或停用账号。"))
    if user.pk == actor.pk:
        raise PermissionDeniedError(_("不能停用自己的账号。"))
    if user.role in ADMIN_ROLES and actor.role != Role.SECURITY_ADMIN:
        raise PermissionDeniedError(_("管理员账号只能由安全管理员启用或停用。"))
    before = user.is_active
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_record(actor=actor, action="user.set_active", obj=user, changes={"is_active": [before, active]})
    return user


@transaction.atomic
def department_create(*, actor, code: str, name: str, kind: str, region: Region) -> Department:
    if not is_active_account(actor) or actor.role != Role.SYSTEM_ADMIN:
        raise PermissionDeniedError(_("只有系统管理员可以维护部门。"))
    if Department.objects.filter(code=code).exists():
        raise ApplicationError(_("部门编码已存在。"), field="code")
    dept = Department(code=code, name=name, kind=kind, region=region)
    _full_clean(dept)
    dept.save()
    audit_record(actor=actor, action="department.create", obj=dept,
                 changes={"code": [None, code], "name": [None, name], "kind": [None, kind]})
    return dept


# --- residents -------------------------------------------------------------------------------


def _clean_person_ids(*, id_number: str, phone: str, landline: bool = False) -> tuple[str, str]:
    """A resident's phone may be a fixed line with its area code (many older residents have no
    mobile: ``landline``); a grid worker's must be a mobile (the work is on the move)."""
    id_number = (id_number or "").strip().upper()
    phone = phone_normalise((phone or "").strip())  # 138-1234-5678, +86 … stored as the 11 digits
    if id_number:
        error = id_number_error(id_number)
        if error:
            raise ApplicationError(error, field="id_number")
    if phone:
        error = contact_phone_error(phone) if landline else phone_error(phone)
        if error:
            raise ApplicationError(error, field="phone")
    return id_number, phone


def _check_grid(grid: Region) -> None:
    if grid is None or grid.level not in GRID_LEVELS:
        raise ApplicationError(_("居民须登记到网格。"), field="grid")


def _check_tags(tags: list[str]) -> list[str]:
    unknown = [t for t in tags if t not in ResidentTag.values]
    if unknown:
        raise ApplicationError(_("未知标签：%(tags)s") % {"tags": '、'.join(unknown)}, field="tags")
    return sorted(set(tags))


def _apply_resident_values(resident: Resident, values: dict[str, Any]) -> None:
    if "id_number" in values or "phone" in values:
        id_number, phone = _clean_person_ids(id_number=values.get("id_number", resident.id_number),
                                             phone=values.get("phone", resident.phone), landline=True)
        resident.id_number, resident.phone = id_number, phone
        resident.id_number_hash = blind_index(id_number, purpose="id_number") if id_number else ""
        resident.phone_hash = blind_index(phone, purpose="phone") if phone else ""
        if id_number:
            resident.birth_date = birth_date_from_id(id_number)
            resident.gender = gender_from_id(id_number)
    if "tags" in values:
        resident.tags = _check_tags(list(values["tags"] or []))
        resident.tag_tokens = tag_tokens(resident.tags)
    for field in ("name", "address", "residence_type", "political_status", "is_volunteer", "house", "grid"):
        if field in values:
            setattr(resident, field, values[field].strip() if isinstance(values[field], str) else values[field])
    if not resident.name:
        raise ApplicationError(_("请填写姓名。"), field="name")
    if resident.residence_type not in ResidenceType.values:
        raise ApplicationError(_("未知的人口类型。"), field="residence_type")
    if resident.political_status not in PoliticalStatus.values:
        raise ApplicationError(_("未知的政治面貌。"), field="political_status")
    if resident.house_id and resident.house.unit.building.grid_id != resident.grid_id:
        raise ApplicationError(_("所选房屋不在该网格内。"), field="house")


# An ID number already registered outside the actor's scope must still be refused (一人一档: one record
# per person in the county), which tells that the number is registered somewhere. So that no account
# can test numbers against the county's register, such answers are limited per account.
ELSEWHERE_LIMIT = 10  # per account and hour
ELSEWHERE_WINDOW = 3600


def _check_unique_id(resident: Resident, actor) -> None:
    if not resident.id_number_hash:
        return
    clash = Resident.objects.filter(id_number_hash=resident.id_number_hash).exclude(pk=resident.pk)
    if not clash.exists():
        return
    if restrict(clash, actor).exists():
        raise ApplicationError(_("该身份证号已登记为其他居民。"), field="id_number")
    raise id_elsewhere_refusal(actor)


def _check_unique_worker_id(worker: GridWorker, actor) -> None:
    """One grid-worker record per person, on create and on a changed ID number; a record outside the
    actor's scope is answered from the same hourly allowance as a resident's."""
    if not worker.id_number_hash:
        return
    clash = GridWorker.objects.filter(id_number_hash=worker.id_number_hash).exclude(pk=worker.pk)
    if not clash.exists():
        return
    if restrict(clash, actor).exists():
        raise ApplicationError(_("该身份证号已登记为网格员。"), field="id_number")
    raise id_elsewhere_refusal(actor, worker=True)


def id_elsewhere_refusal(actor, *, worker: bool = False) -> ApplicationError:
    """The refusal of an ID number registered outside ``actor``'s scope, counted against the account's
    hourly allowance (``ELSEWHERE_LIMIT``; spent: ``RateLimitedError``, which names no number). The
    form, the API and the Excel import all answer through here, so that a file of numbers cannot test
    more of them against the register than the form can."""
    enforce("people-id-elsewhere", str(actor.pk), limit=ELSEWHERE_LIMIT, window=ELSEWHERE_WINDOW,
            message=_("身份证号核对次数过多，请一小时后再试。"))
    if worker:
        return ApplicationError(_("该身份证号已在您管辖范围以外登记为网格员，不能重复登记；如需调动，请联系上级办理。"),
                                field="id_number")
    return ApplicationError(_("该身份证号已在您管辖范围以外登记，不能重复登记；如该居民已迁入，请联系上级办理迁移。"),
                            field="id_number")


@transaction.atomic
def resident_create(*, actor, name: str, grid: Region, id_number: str = "", phone: str = "", address: str = "",
                    house: House | None = None, residence_type: str = ResidenceType.REGISTERED,
                    political_status: str = PoliticalStatus.MASSES, is_volunteer: bool = False,
                    tags: list[str] | None = None) -> Resident:
    _check_grid(grid)
    if not can_edit_people_in(actor, grid):
        raise PermissionDeniedError(_("您无权在此网格登记居民。"))
    resident = Resident(grid=grid)
    _apply_resident_values(resident, {
        "name": name, "id_number": id_number, "phone": phone, "address": address, "house": house,
        "residence_type": residence_type, "political_status": political_status,
        "is_volunteer": is_volunteer, "tags": tags or [], "grid": grid,
    })
    _check_unique_id(resident, actor)
    _full_clean(resident)
    resident.save()
    audit_record(actor=actor, action="resident.create", obj=resident,
                 changes=diff({}, snapshot(resident, RESIDENT_FIELDS), secret_fields=SECRET_FIELDS))
    return resident


@transaction.atomic
def resident_update(*, actor, resident: Resident, seen_version: datetime | None = None, **values: Any) -> Resident:
    """Change the given fields. ``seen_version``: the ``updated_at`` the editor started from; if
    someone saved since, nothing is written (``core.edits``)."""
    allowed = {"name", "id_number", "phone", "address", "house", "grid", "residence_type", "political_status",
               "is_volunteer", "tags"}
    unknown = set(values) - allowed
    if unknown:
        raise ApplicationError(_("不能修改字段：%(fields)s") % {
            "fields": ', '.join(sorted(unknown))}, field=sorted(unknown)[0])
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    if not can_edit_resident(actor, resident):
        raise PermissionDeniedError(_("您无权修改此居民。"))
    edit_unchanged_check(resident, seen_version, what=_("居民“%(name)s”的信息") % {"name": resident.name})
    if "grid" in values:
        _check_grid(values["grid"])
        if not can_edit_people_in(actor, values["grid"]):
            raise PermissionDeniedError(_("您无权把居民迁入该网格。"), field="grid")
    before = snapshot(resident, RESIDENT_FIELDS)
    _apply_resident_values(resident, values)
    _check_unique_id(resident, actor)
    _full_clean(resident)
    resident.save()
    changes = diff(before, snapshot(resident, RESIDENT_FIELDS), secret_fields=SECRET_FIELDS)
    if changes:
        audit_record(actor=actor, action="resident.update", obj=resident, changes=changes)
    return resident


def can_reveal(actor, person=None) -> bool:
    """May ``actor`` see ``person``'s personal information in full? A grid worker sees the
    colleagues who share its grids (to know who they are), but in full only residents and itself:
    a colleague's ID number is not what its work needs."""
    if not (is_active_account(actor) and actor.role in REVEAL_ROLES):
        return False
    if isinstance(person, GridWorker) and actor.role == Role.GRID_WORKER:
        return person.user_id == actor.pk
    return True


# What a reveal shows in full; a grid worker has no address, tags, birth date or house.
PERSONAL_FIELDS = ("id_number", "phone", "address", "tags", "birth_date", "house")


@transaction.atomic
def personal_info_reveal(*, actor, person: Resident | GridWorker, fields: list[str] | None = None) -> dict:
    """Return the unmasked values for a permitted actor (the house as its full label); every reveal
    is audited."""
    if not can_reveal(actor):
        raise PermissionDeniedError(_("您的角色无权查看完整个人信息。"))
    if not in_scope(person, actor):
        from jiceng.core.errors import NotFoundError

        raise NotFoundError(_("未找到该记录，或您无权查看。"))
    if not can_reveal(actor, person):
        raise PermissionDeniedError(_("网格员只能查看居民和本人的完整信息。"))
    available = [f for f in PERSONAL_FIELDS if hasattr(person, f)]
    fields = fields or available
    bad = [f for f in fields if f not in available]
    if bad:
        raise ApplicationError(_("不能查看字段：%(fields)s") % {"fields": ', '.join(bad)}, field="fields")
    audit_record(actor=actor, action="personal_info.reveal", obj=person, changes={"fields": fields})
    values = {f: getattr(person, f) for f in fields}
    if "house" in values:
        values["house"] = str(values["house"]) if values["house"] is not None else ""
    return values


def masked(person: Resident | GridWorker) -> dict:
    """What screens and API responses show until a reveal: a resident's age instead of the birth date
    and the house down to its building, so that with the masked ID number (first and last four
    digits) neither the ID nor the door can be worked out. Pages and the API both take this."""
    out = {"id_number": mask_id_number(person.id_number), "phone": mask_phone(person.phone)}
    if isinstance(person, Resident):
        out["address"] = mask_address(person.address)
        out["tags"] = mask_tags(person.tags)
        out["age"] = age_on(person.birth_date, timezone.localdate())
        out["house"] = mask_house(person.house.unit.building.name if person.house_id else "")
    return out


# --- grid workers -----------------------------------------------------------------------------


def _check_worker_grids(community: Region, grids: list[Region], kind: str) -> None:
    for grid in grids:
        if grid.level not in GRID_LEVELS:
            raise ApplicationError(_("“%(name)s”不是网格。") % {"name": grid.name}, field="grids")
        if kind != WorkerKind.SPECIAL and not grid.path.startswith(community.path):
            raise ApplicationError(_("网格“%(name)s”不属于%(community)s。") % {
                "name": grid.name, "community": community.name}, field="grids")


def _check_grids_in_scope(actor, grids: list[Region]) -> None:
    """A worker's grids become the scope of the worker's login: the actor may hand out only grids it
    keeps itself (a special worker may cover other communities' grids, but not beyond the actor's)."""
    for grid in grids:
        if not can_edit_people_in(actor, grid):
            raise PermissionDeniedError(_("您无权把网格“%(name)s”分配给网格员。") % {"name": grid.name}, field="grids")


def _check_joined_on(joined_on) -> None:
    if joined_on is not None and joined_on > timezone.localdate():
        raise ApplicationError(_("入职日期不能晚于今天。"), field="joined_on")


@transaction.atomic
def grid_worker_create(*, actor, name: str, kind: str, community: Region, grids: list[Region] | None = None,
                       id_number: str = "", phone: str = "", occupation: str = "", is_party_member: bool = False,
                       joined_on=None, user: User | None = None) -> GridWorker:
    if community is None or community.level != RegionLevel.COMMUNITY:
        raise ApplicationError(_("网格员须属于一个社区/村。"), field="community")
    if not can_edit_people_in(actor, community) or actor.role == Role.GRID_WORKER:
        raise PermissionDeniedError(_("您无权在此社区登记网格员。"))
    if kind not in WorkerKind.values:
        raise ApplicationError(_("未知的网格员类型。"), field="kind")
    _check_joined_on(joined_on)
    grids = grids or []
    _check_worker_grids(community, grids, kind)
    _check_grids_in_scope(actor, grids)
    id_number, phone = _clean_person_ids(id_number=id_number, phone=phone)
    worker = GridWorker(
        name=(name or "").strip(), kind=kind, community=community, id_number=id_number, phone=phone,
        id_number_hash=blind_index(id_number, purpose="id_number") if id_number else "",
        phone_hash=blind_index(phone, purpose="phone") if phone else "",
        gender=gender_from_id(id_number) if id_number else "",
        occupation=occupation, is_party_member=is_party_member, joined_on=joined_on, user=user,
    )
    if not worker.name:
        raise ApplicationError(_("请填写姓名。"), field="name")
    _check_unique_worker_id(worker, actor)
    _full_clean(worker)
    worker.save()
    GridAssignment.objects.bulk_create(
        [GridAssignment(worker=worker, grid=g, is_primary=i == 0) for i, g in enumerate(grids)]
    )
    changes = diff({}, snapshot(worker, WORKER_FIELDS), secret_fields=SECRET_FIELDS)
    changes["grids"] = [[], [g.code for g in grids]]
    audit_record(actor=actor, action="grid_worker.create", obj=worker, changes=changes)
    return worker


@transaction.atomic
def grid_worker_set_grids(*, actor, worker: GridWorker, grids: list[Region]) -> GridWorker:
    worker = GridWorker.objects.select_for_update().get(pk=worker.pk)
    if not can_edit_worker(actor, worker):
        raise PermissionDeniedError(_("您无权调整此网格员。"))
    _check_worker_grids(worker.community, grids, worker.kind)
    _check_grids_in_scope(actor, grids)
    before = sorted(worker.grids.values_list("code", flat=True))
    worker.assignments.all().delete()
    GridAssignment.objects.bulk_create(
        [GridAssignment(worker=worker, grid=g, is_primary=i == 0) for i, g in enumerate(grids)]
    )
    after = sorted(g.code for g in grids)
    worker.save(update_fields=["updated_at"])  # a new version: an edit begun before this one sees it
    audit_record(actor=actor, action="grid_worker.set_grids", obj=worker, changes={"grids": [before, after]})
    return worker


def _worker_unchanged_check(worker: GridWorker, seen_version: datetime | None) -> None:
    edit_unchanged_check(worker, seen_version, what=_("网格员“%(name)s”的信息") % {"name": worker.name})


@transaction.atomic
def grid_worker_update(*, actor, worker: GridWorker, seen_version: datetime | None = None,
                       **values: Any) -> GridWorker:
    """Change the given fields; ``seen_version`` as for ``resident_update``."""
    allowed = {"name", "kind", "phone", "id_number", "occupation", "is_party_member", "active", "joined_on"}
    unknown = set(values) - allowed
    if unknown:
        raise ApplicationError(_("不能修改字段：%(fields)s") % {
            "fields": ', '.join(sorted(unknown))}, field=sorted(unknown)[0])
    worker = GridWorker.objects.select_for_update().get(pk=worker.pk)
    if not can_edit_worker(actor, worker):
        raise PermissionDeniedError(str(WORKER_EDIT_REFUSAL))
    _worker_unchanged_check(worker, seen_version)
    before = snapshot(worker, WORKER_FIELDS)
    if "id_number" in values or "phone" in values:
        id_number, phone = _clean_person_ids(id_number=values.get("id_number", worker.id_number),
                                             phone=values.get("phone", worker.phone))
        worker.id_number, worker.phone = id_number, phone
        worker.id_number_hash = blind_index(id_number, purpose="id_number") if id_number else ""
        worker.phone_hash = blind_index(phone, purpose="phone") if phone else ""
        if id_number:  # as on create (and for residents): the gender is the ID number's
            worker.gender = gender_from_id(id_number)
        _check_unique_worker_id(worker, actor)
    for field in ("name", "kind", "occupation", "is_party_member", "active", "joined_on"):
        if field in values:
            setattr(worker, field, values[field])
    if worker.kind not in WorkerKind.values:
        raise ApplicationError(_("未知的网格员类型。"), field="kind")
    if "joined_on" in values:
        _check_joined_on(worker.joined_on)
    if worker.kind != before["kind"]:  # a special worker's grids in other communities must go first
        _check_worker_grids(worker.community, list(worker.grids.all()), worker.kind)
    _full_clean(worker)
    worker.save()
    changes = diff(before, snapshot(worker, WORKER_FIELDS), secret_fields=SECRET_FIELDS)
    if changes:
        audit_record(actor=actor, action="grid_worker.update", obj=worker, changes=changes)
    return worker


@transaction.atomic
def grid_worker_edit(*, actor, worker: GridWorker, grids: list[Region] | None = None,
                     seen_version: datetime | None = None, **values: Any) -> GridWorker:
    """The edit page's save: ``grid_worker_update`` and, when ``grids`` is given (they changed),
    ``grid_worker_set_grids``, all or nothing. The order follows the kind rule: a worker becoming
    特聘 may then take other communities' grids; one staying or becoming 专职/兼职 gives them up first.
    ``seen_version`` is checked once, before either step, on the locked row."""
    locked = GridWorker.objects.select_for_update().get(pk=worker.pk)
    if can_edit_worker(actor, locked):  # (refused: the steps below say why)
        _worker_unchanged_check(locked, seen_version)
    if grids is not None and values.get("kind", worker.kind) != WorkerKind.SPECIAL:
        grid_worker_set_grids(actor=actor, worker=worker, grids=grids)
        grids = None
    worker = grid_worker_update(actor=actor, worker=worker, **values)
    if grids is not None:
        worker = grid_worker_set_grids(actor=actor, worker=worker, grids=grids)
    return worker


# --- resident accounts --------------------------------------------------------------------------


@transaction.atomic
def resident_account_create(*, actor, resident: Resident, username: str, password: str) -> User:
    """A login for a resident (micro-wishes, points, activities), opened by the staff of the
    resident's community. The account has the resident role: it sees only its own records."""
    if not can_edit_people_in(actor, resident.grid) or actor.role == Role.GRID_WORKER:
        raise PermissionDeniedError(_("您无权为该居民开通账号。"))
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    if resident.account_id is not None:
        raise ApplicationError(_("该居民已有账号。"), field="username")
    if User.objects.filter(username=username).exists():
        raise ApplicationError(_("用户名已存在。"), field="username")
    user = User(username=username, role=Role.RESIDENT, full_name=resident.name)
    _full_clean(user, exclude=["password"])
    _set_password_checked(user, password)
    user.save()
    resident.account = user
    resident.save(update_fields=["account"])
    audit_record(actor=actor, action="resident.account_create", obj=resident,
                 changes={"account": [None, username]})
    return user
