from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.IntegerChoices):
    CITY = 1, _("市")
    COUNTY = 2, _("区县")
    STREET = 3, _("街道/乡镇")
    COMMUNITY = 4, _("社区/村")
    GRID1 = 5, _("一级网格")
    GRID2 = 6, _("二级网格")
    GRID3 = 7, _("三级网格")


GRID_LEVELS = (RegionLevel.GRID1, RegionLevel.GRID2, RegionLevel.GRID3)
ROOT_LEVELS = (RegionLevel.CITY, RegionLevel.COUNTY)


class RegionKind(models.TextChoices):
    """Finer kind within a level: 街道 vs 乡镇, 社区 vs 村."""

    NONE = "", _("—")
    SUBDISTRICT = "subdistrict", _("街道")
    TOWN = "town", _("乡镇")
    COMMUNITY = "community", _("社区")
    VILLAGE = "village", _("村")


class HouseUsage(models.TextChoices):
    OWNER = "owner", _("自住")
    RENTED = "rented", _("出租")
    VACANT = "vacant", _("空置")
    BUSINESS = "business", _("经营")
    OTHER = "other", _("其他")


class OrganisationKind(models.TextChoices):
    SHOP = "shop", _("商铺")
    ENTERPRISE = "enterprise", _("企业")
    PROPERTY = "property", _("物业服务企业")
    SCHOOL = "school", _("学校")
    MEDICAL = "medical", _("医疗机构")
    SOCIAL = "social", _("社会组织")
    PUBLIC = "public", _("机关事业单位")
    OTHER = "other", _("其他")
