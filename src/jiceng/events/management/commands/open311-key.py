"""``jiceng open311-key NAME --user USERNAME [--days N]``: issue an Open311 api_key; the key is
the last line.

The key is an API token (stored hashed) of a hotline operator's account: requests posted with it
enter as hotline cases under that account, within its scope. The security admin issues the same
keys on the page /accounts/tokens/.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from jiceng.core.errors import ApplicationError
from jiceng.events.services.keys import open311_key_create


class Command(BaseCommand):
    help = "签发 Open311 接口密钥（api_key，只显示一次，最后一行即密钥）。"

    def add_arguments(self, parser):
        parser.add_argument("name", help="对接系统名称，如“12345 热线”")
        parser.add_argument("--user", required=True, help="承接工单的热线/指挥中心工作人员账号")
        parser.add_argument("--days", type=int, default=None, help="有效天数（默认不过期）")

    def handle(self, *args, name: str, user: str, days: int | None, **options):
        from jiceng.people.models import User

        account = User.objects.filter(username=user).first()
        if account is None:
            raise CommandError(f"账号 {user} 不存在。")
        if days is not None and days < 1:
            raise CommandError("--days 须为正整数。")
        expires_at = timezone.now() + timedelta(days=days) if days else None
        try:
            row, token = open311_key_create(actor=None, user=account, name=name, expires_at=expires_at)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"已签发 Open311 密钥“{row.name}”（{row.prefix}…，账号 {account.username}）。只显示这一次：")
        self.stdout.write(token)
