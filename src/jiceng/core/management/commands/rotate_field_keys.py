from django.conf import settings
from django.core.management.base import BaseCommand

from jiceng.core.rotation import field_keys_rotate, stale_count


class Command(BaseCommand):
    help = ("Re-encrypt personal information under JICENG_FIELD_KEY_ID and JICENG_FIELD_CIPHER "
            "(key or cipher rotation). Safe to stop and run again.")

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=1000)
        parser.add_argument("--check", action="store_true", help="only count values still to rotate")

    def handle(self, *args, batch: int, check: bool, **options):
        if check:
            left = stale_count()
            self.stdout.write(f"{left} 个字段值尚未使用当前密钥 {settings.FIELD_KEY_ID}（{settings.FIELD_CIPHER}）。")
            if left:
                raise SystemExit(1)
            return
        done = field_keys_rotate(batch=batch)
        for label, count in done.items():
            self.stdout.write(f"{label}: {count}")
        self.stdout.write(self.style.SUCCESS(
            f"已用密钥 {settings.FIELD_KEY_ID}（{settings.FIELD_CIPHER}）重新加密 {sum(done.values())} 个字段值。"))
