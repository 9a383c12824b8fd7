"""Accounts (三员分立: created by the system admin, roles granted by the security admin),
departments, and a resident's login."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core.audit import audit_record, diff
from jiceng.core.errors import ApplicationError, PermissionDeniedError
from jiceng.core.scope import is_active_account
from jiceng.core.validators import phone_error, phone_normalise
from jiceng.regions.choices import RegionLevel
from jiceng.regions.models import Region

from ..choices import ADMIN_ROLES, Role
from ..models import Department, Resident, User
from .rules import _full_clean, can_edit_people_in

# Level of the node each region-staff role is bound to.
ROLE_LEVEL = {
    Role.COUNTY_STAFF: RegionLevel.COUNTY,
    Role.STREET_STAFF: RegionLevel.STREET,
    Role.COMMUNITY_STAFF: RegionLevel.COMMUNITY,
}


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
