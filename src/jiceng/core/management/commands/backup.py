"""``jiceng backup PATH``: the whole database in a portable file (see jiceng.accounts.backup)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from jiceng.accounts.backup import backup_write


class Command(BaseCommand):
    help = ("备份整个数据库到一个 gzip 压缩的 JSON Lines 文件（SQLite 与 PostgreSQL 通用）。"
            "个人信息以密文写入；恢复时需要相同的 JICENG_FIELD_KEYS。文件权限 0600，请加密保存并异地存放。")

    def add_arguments(self, parser):
        parser.add_argument("path", help="备份文件，如 /backup/jiceng-2026-03-02.jsonl.gz")
        parser.add_argument("--database", default="default")

    def handle(self, *args, path: str, database: str, **options):
        counts = backup_write(path, using=database)
        self.stdout.write(f"已备份 {sum(counts.values())} 条记录（{len([c for c in counts.values() if c])} 张表）到 {path}。")
