"""People: staff accounts with roles, departments, grid workers and residents."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.fields import EncryptedJSONListField, EncryptedTextField
from jiceng.regions.models import House, Region

from .choices import (
    ADMIN_ROLES,
    PEOPLE_ROLES,
    REGION_STAFF_ROLES,
    DepartmentKind,
    Gender,
    PoliticalStatus,
    ResidenceType,
    Role,
    WorkerKind,
)


class Department(models.Model):
    """A functional department (住建, 民政, 公安 …) serving a region (usually a county)."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=16, choices=DepartmentKind.choices)
    region = models.ForeignKey(Region, verbose_name=_("所属区域"), on_delete=models.PROTECT,
                               related_name="departments")

    scope_path_lookup = "region__path"
    scope_personal = False

    class Meta:
        ordering = ["code"]
        verbose_name = _("部门")
        verbose_name_plural = _("部门")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A staff account. One role per account (三员分立: the three admin roles are separate
    accounts), bound to a region node (or a department for department staff)."""

    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, db_index=True)
    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    region = models.ForeignKey(Region, verbose_name=_("所属区域"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="staff")
    department = models.ForeignKey(Department, verbose_name=_("所属部门"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="staff")
    phone = EncryptedTextField(_("手机号"))

    objects = UserManager()

    class Meta:
        verbose_name = _("账号")
        verbose_name_plural = _("账号")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role__in=[r.value for r in REGION_STAFF_ROLES]) | models.Q(region__isnull=False),
                name="region_staff_have_region",
            ),
            models.CheckConstraint(
                condition=~models.Q(role=Role.DEPARTMENT_STAFF) | models.Q(department__isnull=False),
                name="department_staff_have_department",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_admin_role(self) -> bool:
        return self.role in ADMIN_ROLES

    @property
    def sees_people(self) -> bool:
        """Whether the role looks at residents and grid workers at all (no query: for the nav)."""
        return self.is_active and self.role in PEOPLE_ROLES

    def refresh_from_db(self, *args, **kwargs):
        self.__dict__.pop("_grid_paths", None)
        super().refresh_from_db(*args, **kwargs)

    @property
    def scope_is_grids(self) -> bool:
        """Whether ``scope_paths`` are grids (a grid worker's): then a grid worker record is in scope
        through the grids it works, as its community lies above them (``core.scope``)."""
        return self.role == Role.GRID_WORKER

    def scope_paths(self, *, personal: bool) -> list[str]:
        """Region subtrees this account may see. ``["/"]`` is everything; ``[]`` is nothing.

        The three admin roles never see personal data; the system admin maintains the base data
        (regions, buildings, organisations, departments) everywhere. Department staff see their
        own work only (their cases, later), not residents or workers.
        """
        if not self.is_active:
            return []
        if self.role == Role.SYSTEM_ADMIN:
            return [] if personal else ["/"]
        if self.role in (Role.SECURITY_ADMIN, Role.AUDIT_ADMIN):
            return []
        if self.role in REGION_STAFF_ROLES:
            return [self.region.path] if self.region_id else []
        if self.role == Role.GRID_WORKER:
            # Read once per loaded account (a request's user, a task's actor): a page asks many
            # times, and a grid worker's grids do not change within one request.
            if "_grid_paths" not in self.__dict__:
                self.__dict__["_grid_paths"] = list(
                    Region.objects.filter(assignments__worker__user=self, assignments__worker__active=True)
                    .values_list("path", flat=True)
                )
            return list(self.__dict__["_grid_paths"])
        if self.role == Role.RESIDENT:
            return []  # a resident sees only their own records, through their Resident (never by scope)
        if self.role == Role.DEPARTMENT_STAFF:
            if personal:
                return []
            return [self.department.region.path] if self.department_id else []
        return []


class GridWorker(models.Model):
    """网格员 (专职 / 兼职 / 特聘): a person who works one or more grids of a community."""

    # keyed-hash column → (the encrypted field it indexes, purpose); rebuilt by core.rotation
    BLIND_INDEXES = {"id_number_hash": ("id_number", "id_number"), "phone_hash": ("phone", "phone")}

    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    kind = models.CharField(_("类型"), max_length=16, choices=WorkerKind.choices)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, blank=True, default="")
    id_number = EncryptedTextField(_("身份证号"))
    id_number_hash = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    phone = EncryptedTextField(_("手机号"))
    phone_hash = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    community = models.ForeignKey(Region, verbose_name=_("所属社区/村"), on_delete=models.PROTECT,
                                  related_name="grid_workers")
    grids = models.ManyToManyField(Region, through="GridAssignment", related_name="workers", verbose_name=_("负责网格"))
    occupation = models.CharField(_("职业/身份"), max_length=50, blank=True,
                                  help_text=_("特聘网格员的职业，如快递员、外卖骑手、网约车司机。"))
    is_party_member = models.BooleanField(_("党员"), default=False)
    active = models.BooleanField(_("在岗"), default=True)
    joined_on = models.DateField(_("入职日期"), null=True, blank=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("登录账号"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="grid_worker")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_path_lookup = "community__path"
    # for a grid worker's account: the workers sharing one of its grids (colleagues, itself)
    scope_grid_lookup = "assignments__grid__path"
    scope_personal = True

    class Meta:
        ordering = ["community__path", "name"]
        verbose_name = _("网格员")
        verbose_name_plural = _("网格员")

    def __str__(self) -> str:
        return self.name


class GridAssignment(models.Model):
    worker = models.ForeignKey(GridWorker, on_delete=models.CASCADE, related_name="assignments")
    grid = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="assignments")
    is_primary = models.BooleanField(_("主责"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["worker", "grid"], name="assignment_unique")]
        verbose_name = _("网格分配")
        verbose_name_plural = _("网格分配")

    def __str__(self) -> str:
        return f"{self.worker} → {self.grid}"


class Resident(models.Model):
    """实有人口. ID number, phone, address and tags are encrypted; exact search uses keyed hashes."""

    BLIND_INDEXES = {"id_number_hash": ("id_number", "id_number"), "phone_hash": ("phone", "phone"),
                     "tag_tokens": ("tags", "tag")}

    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, blank=True, default="")
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    id_number = EncryptedTextField(_("身份证号"))
    id_number_hash = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    phone = EncryptedTextField(_("联系电话"))  # a mobile, or a fixed line with its area code
    phone_hash = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    address = EncryptedTextField(_("住址"))
    grid = models.ForeignKey(Region, verbose_name=_("所属网格"), on_delete=models.PROTECT, related_name="residents")
    house = models.ForeignKey(House, verbose_name=_("房屋"), null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="residents")
    residence_type = models.CharField(_("人口类型"), max_length=16, choices=ResidenceType.choices,
                                      default=ResidenceType.REGISTERED)
    political_status = models.CharField(_("政治面貌"), max_length=16, choices=PoliticalStatus.choices,
                                        default=PoliticalStatus.MASSES)
    is_volunteer = models.BooleanField(_("志愿者"), default=False)
    tags = EncryptedJSONListField(_("关爱标签"))
    tag_tokens = models.CharField(max_length=500, blank=True, default="", editable=False)
    account = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("居民账号"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="resident",
                                   help_text=_("居民自己登录（微心愿、积分、志愿活动）所用的账号。"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_path_lookup = "grid__path"
    scope_personal = True

    class Meta:
        ordering = ["grid__path", "name", "id"]
        verbose_name = _("居民")
        verbose_name_plural = _("居民")

    def __str__(self) -> str:
        return self.name
