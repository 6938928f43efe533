"""Load the configured city's districts, streets and communities, and the ID issuing codes."""

from django.conf import settings
from django.db import migrations


def forwards(apps, schema_editor):
    from zhongfu.regions.services import regions_load

    regions_load(
        city_code=settings.ZHONGFU_CITY_CODE,
        region_model=apps.get_model("regions", "Region"),
        issuing_code_model=apps.get_model("regions", "IssuingCode"),
    )


class Migration(migrations.Migration):
    dependencies = [("regions", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
