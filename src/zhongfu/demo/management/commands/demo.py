import time

from django.core.management.base import BaseCommand

from zhongfu.demo.services import demo_city_generate, demo_users_ensure
from zhongfu.registry.models import Household


class Command(BaseCommand):
    help = "Generate the demo city (synthetic households on real Hangzhou streets) and the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=20000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--if-empty", action="store_true", help="do nothing if households already exist")

    def handle(self, *args, households, seed, if_empty, **options):
        demo_users_ensure()
        if Household.objects.exists():
            msg = "the registry already holds households; keeping them"
            if if_empty:
                self.stdout.write(msg)
                return
            self.stderr.write(msg + " (generate into an empty database)")
            raise SystemExit(1)
        self.stdout.write(f"generating {households} households (seed {seed})…")
        step = max(households // 10, 1)
        result = demo_city_generate(
            households=households,
            seed=seed,
            progress=lambda done: done % step == 0 and self.stdout.write(f"  {done}/{households}"),
        )
        self.stdout.write(
            f"demo city: {result['households']} households, {result['people']} people in {result['seconds']} s"
        )
        from zhongfu.visits.services import demo_visits_generate

        visits = demo_visits_generate(seed)
        self.stdout.write(f"demo visits: {visits['visits']} visits to {visits['households']} households")
        from zhongfu.casework.demo import demo_cases_generate

        cases = demo_cases_generate(seed)
        self.stdout.write(f"demo cases: {cases['applications']} applications, {cases['cases']} cases")
        from zhongfu.payments.demo import demo_payments_generate

        self.stdout.write(demo_payments_generate(seed)["message"])
        from zhongfu.funds.demo import demo_funds_generate
        from zhongfu.monitoring.demo import demo_monitoring_generate

        for generate in (demo_funds_generate, demo_monitoring_generate):
            started = time.perf_counter()
            message = generate(seed)["message"]
            self.stdout.write(f"{message} ({time.perf_counter() - started:.1f} s)")
