from django.db import models
from django.utils.translation import gettext_lazy as _


class VerificationStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("校验中")
    INTACT = "intact", _("完整")
    BROKEN = "broken", _("发现问题")
    FAILED = "failed", _("未能完成")
