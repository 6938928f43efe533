from django.core.management.base import BaseCommand, CommandError

from zhongfu.policies.services import catalogue_sync
from zhongfu.policies.shipped import CatalogueInvalid


class Command(BaseCommand):
    help = (
        "Policy catalogue tools. `zhongfu policies sync` adds the shipped parameter values and policy "
        "versions the database does not have yet; an administrator's approved change is never overridden."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["sync"])
        parser.add_argument("--directory", help="a catalogue directory other than the shipped one")

    def handle(self, *args, **options):
        try:
            result = catalogue_sync(directory=options.get("directory"))
        except CatalogueInvalid as error:
            raise CommandError(f"the shipped catalogue is not valid: {error}") from None
        self.stdout.write(f"policy catalogue: {result.summary()}")
