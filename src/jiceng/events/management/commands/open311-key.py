"""``jiceng open311-key NAME [--user USERNAME | --region COUNTY_CODE] [--days N]``: issue an Open311
api_key; the key is the last line.

The key is an API token (stored hashed) of a staff account: requests posted with it enter as
hotline cases under that account, within its scope. ``--user`` names a hotline operator's or the
command centre's account; without it the key acts as the integration's own county account
(``services.keys.open311_account``: no password, created once per NAME; ``--region`` names the
county where the installation has several). The security admin issues the same keys on the page
/accounts/tokens/.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from jiceng.core.errors import ApplicationError
from jiceng.events.services.keys import open311_account, open311_key_create


class Command(BaseCommand):
    help = "签发 Open311 接口密钥（api_key，只显示一次，最后一行即密钥）。"

    def add_arguments(self, parser):
        parser.add_argument("name", help="对接系统名称，如“12345 热线”")
        parser.add_argument("--user", default=None,
                            help="承接工单的热线/指挥中心工作人员账号（不填则使用该对接系统自己的区县账号）")
        parser.add_argument("--region", default=None, help="区县编码（不填 --user 且系统有多个区县时必填）")
        parser.add_argument("--days", type=int, default=None, help="有效天数（默认不过期）")

    def handle(self, *args, name: str, user: str | None, region: str | None, days: int | None, **options):
        from jiceng.people.models import User
        from jiceng.regions.models import Region

        if days is not None and days < 1:
            raise CommandError("--days 须为正整数。")
        expires_at = timezone.now() + timedelta(days=days) if days else None
        try:
            if user:
                account = User.objects.filter(username=user).first()
                if account is None:
                    raise CommandError(f"账号 {user} 不存在。")
            else:
                county = None
                if region:
                    county = Region.objects.filter(code=region).first()
                    if county is None:
                        raise CommandError(f"区域 {region} 不存在。")
                account = open311_account(name=name, county=county)
            row, token = open311_key_create(actor=None, user=account, name=name, expires_at=expires_at)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"已签发 Open311 密钥“{row.name}”（{row.prefix}…，账号 {account.username}）。只显示这一次：")
        self.stdout.write(token)
