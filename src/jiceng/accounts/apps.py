from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "jiceng.accounts"
    label = "accounts"
    verbose_name = _("账号安全")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from . import checks  # noqa: F401 (registers the deploy checks)
        from .signals import logged_in, logged_out

        # Django's own hooks for "a login happened" (whichever view or test helper did it); the
        # handlers only call the services.
        user_logged_in.connect(logged_in, dispatch_uid="jiceng-accounts-login")
        user_logged_out.connect(logged_out, dispatch_uid="jiceng-accounts-logout")
