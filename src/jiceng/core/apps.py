from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "jiceng.core"
    label = "core"
    verbose_name = _("系统核心")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from .dbguard import register_sqlite_function

        connection_created.connect(register_sqlite_function, dispatch_uid="jiceng-audit-guard")
