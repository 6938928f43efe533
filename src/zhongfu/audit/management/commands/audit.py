from django.core.management.base import BaseCommand, CommandError

from zhongfu.audit.services import audit_verify


class Command(BaseCommand):
    help = "Audit log tools. `zhongfu audit verify` checks the hash chain and reports the first broken link."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, **options):
        result = audit_verify()
        if result.ok:
            self.stdout.write(f"audit log intact: {result.checked} entries verified")
            return
        raise CommandError(
            f"audit log broken at entry {result.broken_at}: {result.problem} "
            f"({result.checked} entries before it are intact)"
        )
