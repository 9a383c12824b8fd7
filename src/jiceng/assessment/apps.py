from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "jiceng.assessment"
    label = "assessment"
    verbose_name = _("考核")

    def ready(self) -> None:
        # Built-in automatic indicators register themselves on import.
        from . import builtin_indicators, indicators_events  # noqa: F401
