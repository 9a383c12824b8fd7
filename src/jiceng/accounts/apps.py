from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The audit actions this app's services write (named in the back office's audit log).
AUDIT_ACTIONS = {
    "login": _("登录"),
    "login.failed": _("登录失败"),
    "login.throttle": _("登录地址受限"),
    "login.second_factor": _("通过双因素认证"),
    "logout": _("退出登录"),
    "account.lock": _("锁定账号"),
    "account.unlock": _("解除账号锁定"),
    "password.change": _("修改密码"),
    "totp.enable": _("启用双因素认证"),
    "totp.disable": _("停用双因素认证"),
    "totp.reset": _("重置双因素认证"),
    "totp.recovery_codes": _("重新生成恢复码"),
    "session.expire": _("会话超时"),
    "session.end": _("结束会话"),
    "backup.create": _("备份数据库"),
    "backup.restore": _("从备份恢复"),
}


class AccountsConfig(AppConfig):
    name = "jiceng.accounts"
    label = "accounts"
    verbose_name = _("账号安全")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from jiceng.core.audit import audit_actions_register

        from . import checks  # noqa: F401 (registers the deploy checks)
        from .signals import logged_in, logged_out

        # Django's own hooks for "a login happened" (whichever view or test helper did it); the
        # handlers only call the services.
        user_logged_in.connect(logged_in, dispatch_uid="jiceng-accounts-login")
        user_logged_out.connect(logged_out, dispatch_uid="jiceng-accounts-logout")
        audit_actions_register(AUDIT_ACTIONS)
