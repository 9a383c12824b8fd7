from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The audit actions this app's services write (named in the back office's audit log); a case's
# actions (event.dispatch …) are named by the workflow table, in ready().
AUDIT_ACTIONS = {
    "event_category.create": _("新建事项分类"),
    "event_category.update": _("修改事项分类"),
    "event_category.load": _("载入默认事项分类"),
    "calendar_day.set": _("设置工作日历"),
    "events.demo_generate": _("生成演示事件"),
    "export.event_categories": _("导出事项分类"),
    "export.event_numbers": _("导出事件统计"),
    "export.event_cases": _("导出事件"),
}


class EventsConfig(AppConfig):
    name = "jiceng.events"
    label = "events"
    verbose_name = _("网格事件")

    def ready(self) -> None:
        from jiceng.core.audit import audit_actions_register

        from .workflow import TRANSITIONS

        audit_actions_register(AUDIT_ACTIONS)
        audit_actions_register({f"event.{action}": t.label for action, t in TRANSITIONS.items()})
