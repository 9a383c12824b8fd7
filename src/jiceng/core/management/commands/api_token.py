"""``jiceng api_token USERNAME NAME [--days N]``: create an API token; the token is the last line."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from jiceng.core.api_tokens import api_token_create
from jiceng.core.errors import ApplicationError


class Command(BaseCommand):
    help = "为账号创建 API 令牌（只显示一次，最后一行即令牌）。"

    def add_arguments(self, parser):
        parser.add_argument("username", help="账号用户名")
        parser.add_argument("name", help="令牌名称（用途），如“数据对接”")
        parser.add_argument("--days", type=int, default=None, help="有效天数（默认不过期）")

    def handle(self, *args, username: str, name: str, days: int | None, **options):
        from jiceng.people.models import User

        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"账号 {username} 不存在。")
        if days is not None and days < 1:
            raise CommandError("--days 须为正整数。")
        expires_at = timezone.now() + timedelta(days=days) if days else None
        try:
            row, token = api_token_create(actor=None, user=user, name=name, expires_at=expires_at)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        until = f"，有效期至 {timezone.localtime(expires_at):%Y-%m-%d %H:%M}" if expires_at else "，不过期"
        self.stdout.write(f"已为 {user.username} 创建令牌“{row.name}”（{row.prefix}…）{until}。令牌只显示这一次：")
        self.stdout.write(token)
