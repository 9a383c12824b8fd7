from django.conf import settings
from django.core.management.base import BaseCommand

from jiceng.core.rotation import blind_indexes_rebuild, blind_indexes_stale, field_keys_rotate, stale_count


class Command(BaseCommand):
    help = ("Re-encrypt personal information under JICENG_FIELD_KEY_ID and JICENG_FIELD_CIPHER "
            "(key or cipher rotation); with --rehash, rebuild the keyed search hashes under JICENG_FIELD_HASH. "
            "Safe to stop and run again.")

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=1000)
        parser.add_argument("--check", action="store_true", help="only count values still to rotate")
        parser.add_argument("--rehash", action="store_true",
                            help="rebuild the keyed search hashes after changing JICENG_FIELD_HASH or the hash key")

    def handle(self, *args, batch: int, check: bool, rehash: bool, **options):
        if rehash:
            return self._rehash(batch=batch, check=check)
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

    def _rehash(self, *, batch: int, check: bool) -> None:
        if check:
            left = blind_indexes_stale(batch=batch)
            self.stdout.write(f"{left} 条记录的检索摘要尚未使用当前算法 {settings.FIELD_HASH}。")
            if left:
                raise SystemExit(1)
            return
        done = blind_indexes_rebuild(batch=batch)
        for label, count in done.items():
            self.stdout.write(f"{label}: {count}")
        self.stdout.write(self.style.SUCCESS(f"已按 {settings.FIELD_HASH} 重建 {sum(done.values())} 条记录的检索摘要。"))
