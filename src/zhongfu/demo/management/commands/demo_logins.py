from django.core.management.base import BaseCommand

from zhongfu.demo.services import demo_users_ensure


class Command(BaseCommand):
    help = "Print the demo logins, one per role."

    def handle(self, *args, **options):
        self.stdout.write("Demo logins (password for all: see below)")
        for row in demo_users_ensure():
            self.stdout.write(f"  {row['username']:<10} {row['password']:<14} {row['role']:<12} {row['scope']}")
