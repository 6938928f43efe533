from django.core.management.base import BaseCommand

from zhongfu.visits.services import demo_visits_generate


class Command(BaseCommand):
    help = "Record plausible past visits for the demo city (households without visits only; safe to re-run)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, seed, **options):
        result = demo_visits_generate(seed)
        self.stdout.write(f"demo visits: {result['visits']} visits to {result['households']} households")
