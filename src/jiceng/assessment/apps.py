from django.apps import AppConfig
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# The audit actions this app's services write (named in the back office's audit log); a period's
# steps (assessment.period_publish …) are named by the workflow table, in ready().
AUDIT_ACTIONS = {
    "assessment.scheme_create": _("新建考核方案"),
    "assessment.version_create": _("新建方案版本"),
    "assessment.version_update": _("修改方案版本"),
    "assessment.period_create": _("新建考核期"),
    "assessment.period_delete": _("删除考核期"),
    "assessment.period_next": _("生成下一考核期"),
    "assessment.computation_queue": _("提交后台计算"),
    "assessment.subject_add": _("添加考核对象"),
    "assessment.subjects_add_bulk": _("批量添加考核对象"),
    "assessment.subject_remove": _("移除考核对象"),
    "assessment.assignment_create": _("分配评分任务"),
    "assessment.assignment_remove": _("移除评分任务"),
    "assessment.peer_assign": _("分配互评任务"),
    "assessment.rating_save": _("保存评分"),
    "assessment.adjustment_record": _("记录加减分"),
    "assessment.adjustment_withdraw": _("撤回加减分"),
    "assessment.appeal_file": _("提出申诉"),
    "assessment.appeal_reply": _("答复申诉"),
    "assessment.appeal_resolve": _("办结申诉"),
    "assessment.rerate_request": _("退回重评"),
    "assessment.rerate_cancel": _("撤回退回重评"),
    "demo.assessment": _("生成演示考核数据"),
    "export.assessment_ranking": _("导出考核排名"),
    "export.assessment_score_sheet": _("导出得分表"),
}


def _period_action(label) -> str:
    """考核期：计算 (in English "Assessment period: Compute"): a format, so each language has its colon."""
    return gettext("考核期：%(action)s") % {"action": label}


period_action = lazy(_period_action, str)  # named when shown, in the reader's language


class AssessmentConfig(AppConfig):
    name = "jiceng.assessment"
    label = "assessment"
    verbose_name = _("考核")

    def ready(self) -> None:
        from jiceng.core.audit import audit_actions_register

        # Built-in automatic indicators register themselves on import.
        from . import builtin_indicators, indicators_events  # noqa: F401
        from .workflow import TRANSITIONS

        audit_actions_register(AUDIT_ACTIONS)
        audit_actions_register({f"assessment.period_{action}": period_action(t.label)
                                for action, t in TRANSITIONS.items()})
