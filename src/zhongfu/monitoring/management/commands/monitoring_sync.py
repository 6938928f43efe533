from django.core.management.base import BaseCommand

from zhongfu.monitoring.services import risk_model_sync


class Command(BaseCommand):
    help = "Add the shipped risk model files not yet in the database (never overrides an approved change)."

    def handle(self, *args, **options):
        added = risk_model_sync()
        self.stdout.write(f"risk models added: {len(added)}")
