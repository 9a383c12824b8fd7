"""``jiceng audit_verify``: walk the audit log's hash chain; exit code 1 and the problems when broken.
The check itself is recorded in the audit log (``audit.verify``)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from jiceng.core.audit_review import audit_verify_now


class Command(BaseCommand):
    help = "校验审计记录的哈希链：完整时退出码 0；被删除或篡改时列出问题，退出码 1。校验本身记入审计。"

    def handle(self, *args, **options):
        problems, checked = audit_verify_now()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"审计链不完整：发现 {len(problems)} 个问题。", returncode=1)
        self.stdout.write(f"审计链完整：共 {checked} 条记录。")
