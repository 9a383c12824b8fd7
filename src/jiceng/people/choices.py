from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("安全审计员")
    COUNTY_STAFF = "county_staff", _("区县工作人员")
    STREET_STAFF = "street_staff", _("街道/乡镇工作人员")
    COMMUNITY_STAFF = "community_staff", _("社区/村工作人员")
    DEPARTMENT_STAFF = "department_staff", _("部门工作人员")
    GRID_WORKER = "grid_worker", _("网格员")
    RESIDENT = "resident", _("居民")


ADMIN_ROLES = (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)
REGION_STAFF_ROLES = (Role.COUNTY_STAFF, Role.STREET_STAFF, Role.COMMUNITY_STAFF)
# Roles whose scope covers residents and grid workers (User.scope_paths(personal=True)); the others
# (admin roles, department staff, residents) get no people lists, nav entries or exports.
PEOPLE_ROLES = (*REGION_STAFF_ROLES, Role.GRID_WORKER)
# Roles that may see the full (unmasked) personal information of residents in their scope.
REVEAL_ROLES = (Role.COUNTY_STAFF, Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.GRID_WORKER)


class DepartmentKind(models.TextChoices):
    HOUSING = "housing", _("住建")
    CIVIL = "civil", _("民政")
    POLICE = "police", _("公安")
    URBAN = "urban", _("城管")
    MARKET = "market", _("市场监管")
    HEALTH = "health", _("卫健")
    EMERGENCY = "emergency", _("应急管理")
    ECOLOGY = "ecology", _("生态环境")
    HR = "hr", _("人社")
    ORG = "org", _("组织部")
    OTHER = "other", _("其他")


class WorkerKind(models.TextChoices):
    FULL_TIME = "full_time", _("专职")
    PART_TIME = "part_time", _("兼职")
    SPECIAL = "special", _("特聘")


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")
    UNKNOWN = "", _("未知")


class PoliticalStatus(models.TextChoices):
    MASSES = "masses", _("群众")
    PARTY_MEMBER = "party_member", _("中共党员")
    PROBATIONARY = "probationary", _("中共预备党员")
    LEAGUE = "league", _("共青团员")
    OTHER_PARTY = "other_party", _("民主党派")


class ResidenceType(models.TextChoices):
    REGISTERED = "registered", _("户籍人口")
    FLOATING = "floating", _("流动人口")
    OVERSEAS = "overseas", _("境外人员")


class ResidentTag(models.TextChoices):
    """Vulnerable-group and care tags. Sensitive: stored encrypted, masked on screens."""

    LIVING_ALONE_ELDER = "独居老人", _("独居老人")
    EMPTY_NEST_ELDER = "空巢老人", _("空巢老人")
    DISABLED = "残疾人", _("残疾人")
    LOW_INCOME = "低保", _("低保")
    EXTREME_POVERTY = "特困", _("特困人员")
    LEFT_BEHIND_CHILD = "留守儿童", _("留守儿童")
    VETERAN = "退役军人", _("退役军人")
    SERIOUS_ILLNESS = "大病", _("重病患者")
    MENTAL_DISORDER = "严重精神障碍", _("严重精神障碍患者")
    COMMUNITY_CORRECTION = "社区矫正", _("社区矫正对象")
