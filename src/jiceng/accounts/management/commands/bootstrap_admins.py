"""``jiceng bootstrap_admins SYSADMIN SECADMIN AUDITOR``: a new installation's three admin accounts."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from jiceng.accounts.services import admins_bootstrap
from jiceng.core.errors import ApplicationError


class Command(BaseCommand):
    help = ("新安装时创建三个管理员账号（系统管理员、安全管理员、安全审计员），各自一次性随机密码，"
            "首次登录须修改密码并绑定动态验证码。已有管理员账号时拒绝执行。")

    def add_arguments(self, parser):
        parser.add_argument("system_admin", help="系统管理员用户名")
        parser.add_argument("security_admin", help="安全管理员用户名")
        parser.add_argument("audit_admin", help="安全审计员用户名")

    def handle(self, *args, system_admin: str, security_admin: str, audit_admin: str, **options):
        try:
            passwords = admins_bootstrap(system_admin=system_admin, security_admin=security_admin,
                                         audit_admin=audit_admin)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write("已创建三个管理员账号。一次性密码只显示这一次，请分别当面交给三位管理员：")
        for username, password in passwords.items():
            self.stdout.write(f"  {username}\t{password}")
        self.stdout.write("首次登录须修改密码，并用手机认证器启用双因素认证。")
