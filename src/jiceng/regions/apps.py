from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The audit actions this app's services write (named in the back office's audit log).
AUDIT_ACTIONS = {
    "region.create": _("新建区域"),
    "region.update": _("修改区域"),
    "building.create": _("新建楼栋"),
    "organisation.create": _("新建单位"),
    "export.regions": _("导出区域"),
    "export.grids": _("导出网格"),
}


class RegionsConfig(AppConfig):
    name = "jiceng.regions"
    label = "regions"
    verbose_name = _("区域与网格")

    def ready(self) -> None:
        from jiceng.core.audit import audit_actions_register

        audit_actions_register(AUDIT_ACTIONS)
