# The duplicate-aid warning kind (a change of choices: no change to the table).
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0003_discovery_reports")]

    operations = [
        migrations.AlterField(
            model_name="warning",
            name="kind",
            field=models.CharField(
                choices=[
                    ("at_risk", "at risk"),
                    ("eligible_not_enrolled", "eligible but not enrolled"),
                    ("no_longer_qualifying", "enrolled but no longer qualifying"),
                    ("duplicate_aid", "possible duplicate aid"),
                    ("discovery", "discovery report"),
                ],
                max_length=24,
                verbose_name="kind",
            ),
        ),
    ]
