from django.core.management.base import BaseCommand

from zhongfu.payments.demo import demo_payments_generate


class Command(BaseCommand):
    help = "Pay last month's roll for the demo city (payee accounts, roll, bank results, callbacks); safe to re-run."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, seed, **options):
        self.stdout.write(demo_payments_generate(seed)["message"])
