from django.core.management.base import BaseCommand, CommandError

from jiceng.events.rollup import rollup_rebuild, rollup_verify


class Command(BaseCommand):
    help = "核对（默认）或重建事件统计汇总表。"

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="按事件记录重新计算汇总表")

    def handle(self, *args, **options):
        if options["rebuild"]:
            rows = rollup_rebuild()
            self.stdout.write(f"汇总表已重建：{rows} 行。")
            return
        problems = rollup_verify()
        for line in problems[:50]:
            self.stdout.write(line)
        if problems:
            raise CommandError(f"汇总表与事件记录不一致：{len(problems)} 处。")
        self.stdout.write("汇总表与事件记录一致。")
