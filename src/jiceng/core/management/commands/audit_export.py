"""``jiceng audit_export --user AUDITOR --since DATE --until DATE --output FILE.xlsx``."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from jiceng.accounts.services import audit_log_export
from jiceng.core.errors import ApplicationError


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{value}") from exc


class Command(BaseCommand):
    help = "安全审计员导出某一时段（含首尾两日）的审计记录为 Excel 文件；导出本身也记入审计。"

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="执行导出的安全审计员账号")
        parser.add_argument("--since", required=True, help="开始日期 YYYY-MM-DD")
        parser.add_argument("--until", required=True, help="结束日期 YYYY-MM-DD（含）")
        parser.add_argument("--output", required=True, help="输出文件，如 audit-2026Q1.xlsx")

    def handle(self, *args, user: str, since: str, until: str, output: str, **options):
        from jiceng.people.models import User

        actor = User.objects.filter(username=user).first()
        if actor is None:
            raise CommandError(f"账号 {user} 不存在。")
        try:
            count = audit_log_export(actor=actor, since=_date(since), until=_date(until), output=output)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"已导出 {count} 条审计记录到 {output}。")
