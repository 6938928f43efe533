"""The shipped visit schedule. None of these intervals comes from a seed (seed 001 asks only that every
assistance household be visited: 探访率 100%), so each is marked "(unverified default)" for the city
administrator to confirm or change on the rules page."""

import datetime as dt

from django.db import migrations

SINCE = dt.date(2020, 1, 1)
UNVERIFIED = "(unverified default)"
DEFAULT_RULES = [
    # household class, days, label, source
    ("extreme_poverty", 30, "特困人员 每月探访", f"issue #4 example (特困 monthly) {UNVERIFIED}"),
    ("elderly_alone", 7, "独居老人 每周探访", f"issue #4 example (elderly living alone weekly) {UNVERIFIED}"),
    ("dibao", 90, "低保家庭 每季度探访", UNVERIFIED),
    ("marginal", 180, "低边家庭 每半年探访", UNVERIFIED),
    ("severe_disability", 30, "重度残疾（一、二级） 每月探访", UNVERIFIED),
    ("child_in_difficulty", 30, "困境儿童 每月探访", UNVERIFIED),
    ("serious_illness", 30, "大重病 每月探访", UNVERIFIED),
]


def load(apps, schema_editor):
    VisitRule = apps.get_model("visits", "VisitRule")
    for household_class, days, label, source in DEFAULT_RULES:
        VisitRule.objects.get_or_create(
            household_class=household_class,
            valid_from=SINCE,
            defaults={"interval_days": days, "label": label, "source": source, "active": True},
        )


def unload(apps, schema_editor):
    apps.get_model("visits", "VisitRule").objects.filter(valid_from=SINCE, created_by__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("visits", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
