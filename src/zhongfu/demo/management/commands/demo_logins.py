from django.core.management.base import BaseCommand
from django.utils import translation

from zhongfu.demo.services import DEMO_PASSWORD, demo_users_ensure


class Command(BaseCommand):
    help = "Print the demo logins, one per role."

    def handle(self, *args, **options):
        with translation.override("zh-hans"):
            rows = demo_users_ensure()
            self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）/ demo logins (password: {DEMO_PASSWORD})")
            for row in rows:
                self.stdout.write(f"  {row['username']:<10} {row['role']:<10} {row['scope']}")
