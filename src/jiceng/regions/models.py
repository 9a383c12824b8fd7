"""The region tree (市 → 区县 → 街道/乡镇 → 社区/村 → 网格 ×3) and the grid's basic data (一标三实)."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.fields import EncryptedTextField

from .choices import GRID_LEVELS, HouseUsage, OrganisationKind, RegionKind, RegionLevel

code_validator = RegexValidator(r"^[0-9A-Za-z_-]{1,32}$", _("编码只能由字母、数字、下划线和连字符组成（最多32位）。"))


class Region(models.Model):
    """A node of the one region tree. ``path`` is the materialised path of codes: a subtree is one
    indexed ``path LIKE 'prefix%'`` query."""

    code = models.CharField(_("编码"), max_length=32, unique=True, validators=[code_validator],
                            help_text=_("有行政区划代码的用行政区划代码；网格用网格编码。"))
    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("层级"), choices=RegionLevel.choices, db_index=True)
    kind = models.CharField(_("类型"), max_length=16, choices=RegionKind.choices, blank=True, default="")
    parent = models.ForeignKey("self", verbose_name=_("上级"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=400, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    boundary = models.JSONField(_("边界"), null=True, blank=True, help_text=_("GeoJSON 几何（WGS84 经纬度）"))
    center_lng = models.FloatField(null=True, blank=True, editable=False)
    center_lat = models.FloatField(null=True, blank=True, editable=False)
    population = models.PositiveIntegerField(_("常住人口（统计数）"), default=0)
    households = models.PositiveIntegerField(_("户数（统计数）"), default=0)
    staffing_standard = models.PositiveSmallIntegerField(
        _("社区工作者配备标准（每万人）"), null=True, blank=True,
        help_text=_("留空则沿用上级区域或系统默认（18）。"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_path_lookup = "path"
    scope_personal = False

    class Meta:
        ordering = ["path"]
        verbose_name = _("区域/网格")
        verbose_name_plural = _("区域/网格")
        constraints = [
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=7), name="region_level_range"),
        ]

    def __str__(self) -> str:
        return self.name

    def admin_label(self) -> str:
        """How the back office's pickers name a node: names repeat, codes do not."""
        return f"{self.name}（{self.code}）"

    @property
    def is_grid(self) -> bool:
        return self.level in GRID_LEVELS

    @property
    def type_label(self) -> str:
        """What the node is, in one word: its kind (社区, 村, 街道, 乡镇) when it has one, which says more
        than its level (社区/村, 街道/乡镇), else its level (区县, 一级网格 …)."""
        return self.get_kind_display() if self.kind else self.get_level_display()

    def ancestor_paths(self) -> list[str]:
        parts = [p for p in self.path.split("/") if p]
        return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts) - 1)]


class Building(models.Model):
    """楼栋: a standard address located in one grid."""

    grid = models.ForeignKey(Region, verbose_name=_("所属网格"), on_delete=models.PROTECT, related_name="buildings")
    code = models.CharField(_("楼栋编码"), max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(_("楼栋名称"), max_length=100)
    address = models.CharField(_("标准地址"), max_length=200)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    floors = models.PositiveSmallIntegerField(_("层数"), default=1)

    scope_path_lookup = "grid__path"
    scope_personal = False

    class Meta:
        ordering = ["code"]
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")

    def __str__(self) -> str:
        return self.name


class BuildingUnit(models.Model):
    """单元."""

    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="units")
    name = models.CharField(_("单元"), max_length=40)

    scope_path_lookup = "building__grid__path"

    class Meta:
        ordering = ["building", "name"]
        constraints = [models.UniqueConstraint(fields=["building", "name"], name="unit_unique_in_building")]
        verbose_name = _("单元")
        verbose_name_plural = _("单元")

    def __str__(self) -> str:
        return f"{self.building.name}{self.name}"


class House(models.Model):
    """户 / 实有房屋: one dwelling in a unit."""

    unit = models.ForeignKey(BuildingUnit, on_delete=models.CASCADE, related_name="houses")
    room = models.CharField(_("房号"), max_length=20)
    area = models.DecimalField(_("面积（㎡）"), max_digits=8, decimal_places=2, null=True, blank=True)
    usage = models.CharField(_("用途"), max_length=16, choices=HouseUsage.choices, default=HouseUsage.OWNER)

    scope_path_lookup = "unit__building__grid__path"

    class Meta:
        ordering = ["unit", "room"]
        constraints = [models.UniqueConstraint(fields=["unit", "room"], name="house_unique_in_unit")]
        verbose_name = _("实有房屋")
        verbose_name_plural = _("实有房屋")

    def __str__(self) -> str:
        return f"{self.unit}{self.room}"


class Organisation(models.Model):
    """实有单位: shops, enterprises, property companies, schools … located in a grid."""

    name = models.CharField(_("单位名称"), max_length=200)
    kind = models.CharField(_("单位类型"), max_length=16, choices=OrganisationKind.choices)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, null=True, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    grid = models.ForeignKey(Region, verbose_name=_("所属网格"), on_delete=models.PROTECT, related_name="organisations")
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = EncryptedTextField(_("联系电话"))
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path_lookup = "grid__path"
    scope_personal = False

    class Meta:
        ordering = ["name"]
        verbose_name = _("实有单位")
        verbose_name_plural = _("实有单位")

    def __str__(self) -> str:
        return self.name
