from django.core.management.base import BaseCommand, CommandError

from zhongfu.workdays.services import calendar_sync
from zhongfu.workdays.shipped import ShippedInvalid


class Command(BaseCommand):
    help = (
        "Working-day calendar tools. `zhongfu workdays sync` loads the shipped holiday arrangements "
        "(workdays/data/cn-<year>.yaml); a day an administrator changed is never overridden."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["sync"])
        parser.add_argument("--directory", help="a directory of arrangement files other than the shipped one")

    def handle(self, *args, **options):
        try:
            result = calendar_sync(directory=options.get("directory"))
        except ShippedInvalid as error:
            raise CommandError(f"the shipped calendar is not valid: {error}") from None
        for line in result.lines():
            self.stdout.write(line)
