"""Load the shipped catalogue (catalogue/*.yaml) so that a fresh database, and every test database,
starts with the policies and parameters in force. `zhongfu policies sync` adds later releases' files."""

import sys

from django.db import migrations, transaction


def forwards(apps, schema_editor):
    from zhongfu.policies import shipped

    models = shipped.Models(*(apps.get_model("policies", name) for name in shipped.MODEL_NAMES))
    try:
        with transaction.atomic():
            result = shipped.sync(models=models)
    except Exception as error:  # noqa: BLE001 - a broken release file must not block every other migration
        # `zhongfu policies sync` (run by `make db` right after migrate) reports the same error and fails.
        sys.stderr.write(f"\nThe shipped policy catalogue was not loaded: {error}\n")
        return
    if result.created:
        sys.stdout.write(f"\n  shipped catalogue: {result.summary()}\n")


class Migration(migrations.Migration):
    dependencies = [("policies", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
