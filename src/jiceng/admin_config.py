from django.contrib.admin.apps import AdminConfig


class JicengAdminConfig(AdminConfig):
    """The admin site only opens to the three admin roles (see core.admin.JicengAdminSite)."""

    default_site = "jiceng.core.admin_site.JicengAdminSite"
