"""``jiceng restore PATH``: load a backup into an empty, migrated database (see jiceng.accounts.backup)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.base import DeserializationError
from django.db import IntegrityError

from jiceng.accounts.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = ("从备份文件恢复到一个空的、已迁移到备份时状态的数据库（一次事务，失败则不做任何改动）。"
            "需要与备份时相同的 JICENG_FIELD_KEYS。恢复后请运行 audit_verify。")

    def add_arguments(self, parser):
        parser.add_argument("path", help="jiceng backup 生成的文件")
        parser.add_argument("--database", default="default")

    def handle(self, *args, path: str, database: str, **options):
        try:
            counts = backup_restore(path, using=database)
        except FileNotFoundError as exc:
            raise CommandError(f"找不到备份文件 {path}。") from exc
        except (BackupError, DeserializationError, IntegrityError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"已恢复 {sum(counts.values())} 条记录（{len(counts)} 张表）。")
