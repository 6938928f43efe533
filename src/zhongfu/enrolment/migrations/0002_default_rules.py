"""The shipped review schedule (DOMAIN_RULES.md, 低保 periodic review): stable households yearly, households
able to work with irregular income every 6 months, and one class quarterly (which class is not given: the
default picks 支出型, whose rigid expenses change fastest, and says so). 低保 allows a gradual exit (渐退期)
of up to 6 months (unverified)."""

import datetime as dt

from django.db import migrations

SINCE = dt.date(2021, 7, 1)
UNVERIFIED = "(unverified default)"
NATIONAL = "DOMAIN_RULES.md: 民发〔2021〕57号"
DEFAULT_RULES = [
    # policy, review class, months, gradual exit months, label, source
    ("", "stable", 12, 0, "稳定家庭 每年复核", f"{NATIONAL}, stable households yearly"),
    ("", "able_to_work", 6, 0, "有劳动能力、收入不固定 每半年复核", f"{NATIONAL}, able to work with irregular income"),
    (
        "dibao",
        "stable",
        12,
        6,
        "低保 稳定家庭 每年复核，渐退 6 个月",
        f"{NATIONAL}; gradual exit 6 months {UNVERIFIED}",
    ),
    (
        "dibao",
        "able_to_work",
        6,
        6,
        "低保 有劳动能力 每半年复核，渐退 6 个月",
        f"{NATIONAL}; gradual exit 6 months {UNVERIFIED}",
    ),
    (
        "expenditure_poverty",
        "",
        3,
        0,
        "支出型 每季度复核",
        f"DOMAIN_RULES.md: some cities review a class quarterly; the class {UNVERIFIED}",
    ),
]


def load(apps, schema_editor):
    ReviewRule = apps.get_model("enrolment", "ReviewRule")
    for policy, review_class, months, exit_months, label, source in DEFAULT_RULES:
        ReviewRule.objects.get_or_create(
            policy_code=policy,
            review_class=review_class,
            valid_from=SINCE,
            defaults={
                "interval_months": months,
                "gradual_exit_months": exit_months,
                "label": label,
                "source": source,
                "active": True,
            },
        )


def unload(apps, schema_editor):
    apps.get_model("enrolment", "ReviewRule").objects.filter(valid_from=SINCE, created_by__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("enrolment", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
