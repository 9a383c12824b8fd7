from django.apps import AppConfig
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# The audit actions this app's services write (named in the back office's audit log); a points
# entry (points.award …) is named by its kind, in ready().
AUDIT_ACTIONS = {
    "wish.post": _("发布微心愿"),
    "wish.review": _("审核微心愿"),
    "wish.claim": _("认领微心愿"),
    "wish.claim_withdraw": _("撤回认领"),
    "wish.claim_lapse": _("认领失效"),
    "wish.fulfil": _("完成微心愿"),
    "wish.thank": _("答谢认领人"),
    "volunteer.team_create": _("新建志愿队伍"),
    "volunteer.register": _("报到登记"),
    "volunteer.activity_create": _("发布志愿活动"),
    "volunteer.signup": _("报名志愿活动"),
    "volunteer.signup_cancel": _("取消报名"),
    "volunteer.check_in": _("活动签到"),
    "volunteer.check_out": _("活动签退"),
    "shop.create": _("开设积分超市"),
    "shop.item_create": _("上架商品"),
    "shop.item_restock": _("商品补货"),
    "shop.redeem": _("兑换商品"),
    "shop.cancel_redeem": _("取消兑换"),
    "shop.collect": _("领取兑换商品"),
    "points.rule_create": _("新建积分规则"),
    "points.rule_set_active": _("启用或停用积分规则"),
    "demo.engagement": _("生成演示群众参与数据"),
}


def _points_action(kind) -> str:
    """积分奖励, 积分取消兑换 … (in English "Points: Reward"): a format, so English gets its space."""
    return gettext("积分%(kind)s") % {"kind": kind}


points_action = lazy(_points_action, str)  # named when shown, in the reader's language


class EngagementConfig(AppConfig):
    name = "jiceng.engagement"
    label = "engagement"
    verbose_name = _("群众参与")

    def ready(self) -> None:
        from jiceng.core.audit import audit_actions_register

        from .choices import EntryKind

        audit_actions_register(AUDIT_ACTIONS)
        audit_actions_register({f"points.{kind}": points_action(label)
                                for kind, label in EntryKind.choices})
