"""``jiceng engagement_tick``: the scheduled engagement jobs — expire points past their validity, free
wish claims past their deadline — then check every cached balance against its ledger (exit code 1
when one differs). Run it from cron or Celery beat, e.g. hourly; running it twice is harmless."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from jiceng.engagement.selectors import points_ledger_mismatches
from jiceng.engagement.services import points_expire, wish_claims_lapse


class Command(BaseCommand):
    help = "积分过期、心愿认领超期释放，并核对积分余额与流水合计。"

    def handle(self, *args, **options):
        expired = points_expire()
        lapsed = wish_claims_lapse()
        self.stdout.write(f"积分过期 {expired} 笔；心愿认领超期释放 {lapsed} 个。")
        mismatches = points_ledger_mismatches()
        if mismatches:
            for row in mismatches:
                self.stderr.write(f"账户 {row['id']}：余额 {row['balance']} ≠ 流水合计 {row['ledger']}")
            raise CommandError(f"{len(mismatches)} 个积分账户余额与流水不符。", returncode=1)
        self.stdout.write("积分余额与流水一致。")
