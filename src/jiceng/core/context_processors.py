from django.conf import settings


def nav(request):
    user = getattr(request, "user", None)
    return {
        "jiceng_user_role_label": user.get_role_display() if user is not None and user.is_authenticated else "",
        "jiceng_production": settings.PRODUCTION,
    }
