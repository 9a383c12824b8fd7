"""``jiceng load_demo``: load the demo county into an empty database, then print the logins.

Run by ``jiceng demo`` after ``migrate``. When the database already holds regions it changes
nothing and prints the logins again from ``DATA_DIR/demo-credentials.txt``.
"""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError

from jiceng.demo import accounts
from jiceng.demo.loader import county_exists, demo_load
from jiceng.demo.plan import DEFAULT_SEED
from jiceng.people.models import User
from jiceng.regions.models import Region


class Command(BaseCommand):
    help = "Load the demo county (regions, grids, workers, residents, accounts) into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                            help=f"random seed: the same seed gives the same county (default {DEFAULT_SEED})")
        parser.add_argument("--scale", type=float, default=1.0,
                            help="size relative to the full demo (1.0 ≈ 761 grids, 50,000 residents)")

    def handle(self, *args, seed: int, scale: float, verbosity: int = 1, **options):
        if scale <= 0 or scale > 20:
            raise CommandError("--scale must be greater than 0 and at most 20.")
        url = f"http://{os.environ.get('JICENG_BIND', '127.0.0.1:8000')}/"
        if county_exists():
            root = Region.objects.filter(parent__isnull=True).order_by("path").first()
            self.stdout.write(f"数据库中已有区域数据（{root.name if root else ''}），未载入演示数据。")
            credentials = accounts.read_credentials()
            if credentials:
                self.stdout.write("\n" + accounts.format_table(credentials, url=url,
                                                               county=root.name if root else ""))
            else:
                self.stdout.write(f"未找到演示账号文件 {accounts.credentials_path()}"
                                  "（不是由 load_demo 初始化的数据库）。")
            return
        taken = sorted(User.objects.filter(username__in=[u for u, _ in accounts.ACCOUNTS])
                       .values_list("username", flat=True))
        if taken:
            raise CommandError(f"账号 {', '.join(taken)} 已存在：演示数据只能载入到空数据库（先删除这些账号）。")
        log = (lambda message: self.stdout.write(message)) if verbosity >= 2 else (lambda message: None)
        self.stdout.write(f"正在生成演示县（seed={seed}, scale={scale}）……")
        result = demo_load(seed=seed, scale=scale, log=log)
        c = result.counts
        self.stdout.write(self.style.SUCCESS(
            f"已载入演示县“{result.plan.county.name}”：{c['regions']} 个区域与网格，{c['grid_workers']} 名网格员，"
            f"{c['residents']} 名居民，{c['buildings']} 栋楼（{c['houses']} 户），{c['organisations']} 个单位，"
            f"一年 {c.get('events', 0)} 件事件，用时 {result.timings['total']:.1f} 秒。"))
        self.stdout.write(f"账号与密码已保存到 {accounts.credentials_path()}（仅本机账户可读）。\n")
        self.stdout.write(accounts.format_table(result.credentials, url=url, county=result.plan.county.name))
