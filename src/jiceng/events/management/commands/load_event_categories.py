from django.core.management.base import BaseCommand

from jiceng.events.catalogue import load_event_categories


class Command(BaseCommand):
    help = "载入默认事项分类、处置程序、常用语和法定节假日（可重复执行，不覆盖已调整的设置）。"

    def add_arguments(self, parser):
        parser.add_argument("--update", action="store_true", help="把已有分类的处置程序重置为默认值")

    def handle(self, *args, **options):
        counts = load_event_categories(update=options["update"])
        self.stdout.write(f"事项分类 {counts['categories']} 个、常用语 {counts['templates']} 条、"
                          f"节假日与调休 {counts['calendar_days']} 天已新增。")
