# Reserved so that helpers working in parallel keep one chain of migrations; operations are added by the change
# that owns this name.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("funds", "0006_running_totals")]

    operations = []
