from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The audit actions this app's services write (named in the back office's audit log).
AUDIT_ACTIONS = {
    "user.create": _("开设账号"),
    "user.set_role": _("设置角色"),
    "user.set_active": _("启用或停用账号"),
    "department.create": _("新建部门"),
    "resident.create": _("登记居民"),
    "resident.update": _("修改居民信息"),
    "resident.account_create": _("开通居民账号"),
    "personal_info.reveal": _("查看完整个人信息"),
    "grid_worker.create": _("登记网格员"),
    "grid_worker.update": _("修改网格员信息"),
    "grid_worker.set_grids": _("设置网格员的网格"),
    "export.residents": _("导出居民"),
    "export.workers": _("导出网格员"),
}


class PeopleConfig(AppConfig):
    name = "jiceng.people"
    label = "people"
    verbose_name = _("人员")

    def ready(self) -> None:
        from jiceng.core.audit import audit_actions_register

        audit_actions_register(AUDIT_ACTIONS)
