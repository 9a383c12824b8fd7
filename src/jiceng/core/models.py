"""Core tables: the append-only audit log and its verification runs, API tokens, attachments, exports."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import VerificationStatus


class AppendOnlyError(RuntimeError):
    pass


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit records cannot be changed")

    def delete(self):
        raise AppendOnlyError("audit records cannot be deleted")

    def bulk_update(self, *args, **kwargs):
        raise AppendOnlyError("audit records cannot be changed")


class AuditLog(models.Model):
    """One record per write: who, when, what, from where, and the fields before/after.

    Append-only at three depths: this model refuses save-on-existing and delete, its queryset
    refuses update/delete, and database triggers refuse UPDATE and DELETE (see migrations).
    ``hash`` chains each record to the previous one so a gap or an edit is detectable.
    """

    at = models.DateTimeField(_("时间"), db_index=True)
    actor_id = models.BigIntegerField(_("操作人ID"), null=True, blank=True, db_index=True)
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    actor_role = models.CharField(_("角色"), max_length=32, blank=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True, db_index=True)
    object_id = models.CharField(_("对象ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    ip = models.CharField(_("来源IP"), max_length=45, blank=True)
    channel = models.CharField(_("渠道"), max_length=16, blank=True)
    prev_hash = models.CharField(_("前一条的哈希"), max_length=64, blank=True)
    hash = models.CharField(_("本条哈希"), max_length=64, unique=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        """The record's title in the back office: local time, who, the action by name, the object."""
        from .audit import audit_action_label  # audit imports this module

        parts = (f"{timezone.localtime(self.at):%Y-%m-%d %H:%M:%S}", self.actor_name, audit_action_label(self.action),
                 self.object_repr)
        return " · ".join(part for part in parts if part)

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit records cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit records cannot be deleted")


class BackgroundRun(models.Model):
    """Work a person asks for on a page and background work does — a Celery worker in production; in
    the embedded mode Celery is eager and it runs right after the request — kept as a row: who asked and
    when, when it started, last moved and finished, and its ``status`` (the concrete model's choices,
    "queued" and "running" while under way). A run that has not moved for ``STALE_AFTER`` died with its
    worker (``is_stale``; ``first_under_way`` marks it so)."""

    STALE_AFTER = timedelta(minutes=30)
    UNDER_WAY = ("queued", "running")

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("发起人"))
    requested_at = models.DateTimeField(_("发起时间"))
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True)  # after each step: a run that stops moving has died

    class Meta:
        abstract = True

    @property
    def finished(self) -> bool:
        return self.status not in self.UNDER_WAY

    def is_stale(self, now: datetime | None = None) -> bool:
        """Under way, and not moved (or, queued, not taken) for ``STALE_AFTER``."""
        now = now or timezone.now()
        return not self.finished and (self.progress_at or self.requested_at) <= now - self.STALE_AFTER

    @property
    def under_way(self) -> bool:
        """Queued or running, and still moving: what it works on takes no other step meanwhile."""
        return not self.finished and not self.is_stale()

    @classmethod
    def first_under_way(cls, runs: models.QuerySet, *, now: datetime | None = None, **failed):
        """The first of ``runs`` still under way and moving, or None; those that stopped moving are marked
        finished with ``failed`` (their status, and what else the model keeps about it)."""
        now = now or timezone.now()
        for run in runs.filter(status__in=cls.UNDER_WAY):
            if not run.is_stale(now):
                return run
            cls.objects.filter(pk=run.pk, status__in=cls.UNDER_WAY).update(finished_at=now, **failed)
        return None


class AuditVerification(BackgroundRun):
    """One check of the audit log's hash chain asked for in the back office by the audit admin
    (``core.audit_review``): records 1 to ``up_to`` — the request's own audit record, so the check
    also covers who asked — walked in batches by background work, with what it found."""

    PROBLEMS_KEPT = 1000  # a chain broken everywhere would otherwise fill this row; the count is kept whole

    up_to = models.BigIntegerField(_("校验至记录"))
    up_to_hash = models.CharField(max_length=64)  # that record's hash: the next check finds it still there
    status = models.CharField(_("状态"), max_length=16, choices=VerificationStatus.choices,
                              default=VerificationStatus.QUEUED)
    checked = models.BigIntegerField(_("已校验记录数"), default=0)
    last_id = models.BigIntegerField(default=0)
    problem_count = models.BigIntegerField(_("问题数"), default=0)
    problems = models.JSONField(default=list, blank=True)  # the first PROBLEMS_KEPT, as ChainProblem.as_dict()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("审计链校验")
        verbose_name_plural = _("审计链校验")

    def __str__(self) -> str:
        return f"{timezone.localtime(self.requested_at):%Y-%m-%d %H:%M:%S} {self.get_status_display()}"


class ApiToken(models.Model):
    """A bearer token for the API. Only a hash is stored; the token is shown once at creation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True)
    revoked = models.BooleanField(_("已吊销"), default=False)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Attachment(models.Model):
    """An uploaded image, re-encoded and stored under a random name outside the static root.

    It belongs to one owning record (``owner_type`` = app_label.model, ``owner_id``) and is served
    only to those who may see that record (core.files)."""

    id = models.UUIDField(primary_key=True, editable=False)
    owner_type = models.CharField(max_length=64, db_index=True)
    owner_id = models.CharField(max_length=64, db_index=True)
    purpose = models.CharField(_("用途"), max_length=32, blank=True)
    path = models.CharField(max_length=200, unique=True, editable=False)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    location_lng = models.FloatField(null=True, blank=True)
    location_lat = models.FloatField(null=True, blank=True)
    uploaded_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        indexes = [models.Index(fields=["owner_type", "owner_id"])]

    def __str__(self) -> str:
        return f"{self.owner_type}#{self.owner_id} {self.purpose}"


class ExportFile(models.Model):
    """A generated export (xlsx), encrypted at rest, downloadable only by the user who asked for
    it and only until it expires (``JICENG_EXPORT_LINK_SECONDS``). Expired files are deleted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("类型"), max_length=64)
    filename = models.CharField(_("文件名"), max_length=200)
    fallback = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    cipher = models.CharField(max_length=16)
    key_id = models.CharField(max_length=32)
    content = models.BinaryField()
    rows = models.PositiveIntegerField(_("行数"))
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("链接过期时间"), db_index=True)

    class Meta:
        verbose_name = _("导出文件")
        verbose_name_plural = _("导出文件")

    def __str__(self) -> str:
        return f"{self.filename} ({self.rows})"
