from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The audit actions core writes (and the audit admin's own); each app names its own in its ready().
AUDIT_ACTIONS = {
    "access.denied": _("拒绝访问"),
    "audit.verify": _("校验审计链"),
    "audit.export": _("导出审计记录"),
    "export.download": _("下载导出文件"),
    "api_token.create": _("创建 API 令牌"),
    "api_token.revoke": _("吊销 API 令牌"),
    "attachment.store": _("上传附件"),
    "crypto.rotate": _("轮换字段加密密钥"),
    "crypto.rehash": _("重建检索哈希"),
    "demo.load": _("载入演示数据"),
}


class CoreConfig(AppConfig):
    name = "jiceng.core"
    label = "core"
    verbose_name = _("系统核心")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from .audit import audit_actions_register
        from .dbguard import register_sqlite_function
        from .dbtimeout import on_connection_created

        connection_created.connect(register_sqlite_function, dispatch_uid="jiceng-audit-guard")
        connection_created.connect(on_connection_created, dispatch_uid="jiceng-statement-timeout")
        audit_actions_register(AUDIT_ACTIONS)
