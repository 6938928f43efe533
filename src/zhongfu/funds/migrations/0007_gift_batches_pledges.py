"""Batches of offline gifts, pledges and recurring gifts (funds/batches.py, funds/pledges.py). A pledge and a
standing instruction are promises, not money: the ledger holds only the gifts they bring."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("funds", "0006_running_totals"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="GiftBatch",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("file_name", models.CharField(max_length=200, verbose_name="file")),
                ("content_sha256", models.CharField(max_length=64, verbose_name="SHA-256")),
                ("row_count", models.PositiveIntegerField(verbose_name="rows")),
                ("total_fen", models.BigIntegerField(verbose_name="total (fen)")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="recorded at")),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "unit",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.unit",
                        verbose_name="unit",
                    ),
                ),
            ],
            options={
                "verbose_name": "batch of gifts",
                "verbose_name_plural": "batches of gifts",
                "ordering": ["-pk"],
            },
        ),
        migrations.CreateModel(
            name="GiftBatchItem",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("row", models.PositiveIntegerField(verbose_name="row")),
                (
                    "batch",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="items", to="funds.giftbatch"
                    ),
                ),
                (
                    "donation",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT, related_name="batch_item", to="funds.donation"
                    ),
                ),
            ],
            options={
                "ordering": ["batch_id", "row"],
            },
        ),
        migrations.CreateModel(
            name="Pledge",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("amount_fen", models.BigIntegerField(verbose_name="promised (fen)")),
                ("pledged_on", models.DateField(verbose_name="pledged on")),
                ("memo", models.CharField(blank=True, default="", max_length=200, verbose_name="memo")),
                (
                    "status",
                    models.CharField(
                        choices=[("open", "open"), ("cancelled", "cancelled")],
                        default="open",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                ("cancelled_at", models.DateTimeField(blank=True, null=True, verbose_name="cancelled at")),
                (
                    "cancel_reason",
                    models.CharField(blank=True, default="", max_length=200, verbose_name="reason for cancelling"),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="funds.fundaccount",
                        verbose_name="fund",
                    ),
                ),
                (
                    "cancelled_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "donor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="pledges",
                        to="funds.donor",
                        verbose_name="donor",
                    ),
                ),
                (
                    "drive",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="pledges",
                        to="funds.drive",
                        verbose_name="drive",
                    ),
                ),
                (
                    "unit",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.unit",
                        verbose_name="unit",
                    ),
                ),
            ],
            options={
                "verbose_name": "pledge",
                "verbose_name_plural": "pledges",
                "ordering": ["-pk"],
            },
        ),
        migrations.CreateModel(
            name="PledgeGift",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("linked_at", models.DateTimeField(auto_now_add=True)),
                (
                    "donation",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT, related_name="pledge_gift", to="funds.donation"
                    ),
                ),
                (
                    "linked_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "pledge",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="gifts", to="funds.pledge"
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="PledgeInstalment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("due_on", models.DateField(verbose_name="due on")),
                ("amount_fen", models.BigIntegerField(verbose_name="amount (fen)")),
                (
                    "pledge",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="instalments", to="funds.pledge"
                    ),
                ),
            ],
            options={
                "ordering": ["pledge_id", "due_on", "pk"],
            },
        ),
        migrations.CreateModel(
            name="RecurringGift",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("donor_name", models.CharField(blank=True, default="", max_length=100, verbose_name="name")),
                ("anonymous", models.BooleanField(default=False, verbose_name="anonymous")),
                ("consent_to_name", models.BooleanField(default=False, verbose_name="consents to be named")),
                ("alias", models.CharField(blank=True, default="", max_length=60, verbose_name="alias")),
                ("amount_fen", models.BigIntegerField(verbose_name="amount (fen)")),
                ("day_of_month", models.PositiveSmallIntegerField(verbose_name="day of the month")),
                ("starts_on", models.DateField(verbose_name="starts on")),
                ("ends_on", models.DateField(blank=True, null=True, verbose_name="ends on")),
                ("provider", models.CharField(max_length=40, verbose_name="payment provider")),
                (
                    "status",
                    models.CharField(
                        choices=[("active", "active"), ("paused", "paused"), ("stopped", "stopped")],
                        default="active",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "account",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="funds.fundaccount",
                        verbose_name="fund",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "unit",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.unit",
                        verbose_name="unit",
                    ),
                ),
            ],
            options={
                "verbose_name": "recurring gift",
                "verbose_name_plural": "recurring gifts",
                "ordering": ["-pk"],
            },
        ),
        migrations.CreateModel(
            name="RecurringCharge",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.DateField(verbose_name="month")),
                ("due_on", models.DateField(verbose_name="due on")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "order",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="recurring_charge",
                        to="funds.paymentorder",
                    ),
                ),
                (
                    "instruction",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="charges", to="funds.recurringgift"
                    ),
                ),
            ],
            options={
                "ordering": ["instruction_id", "-month"],
            },
        ),
        migrations.AddConstraint(
            model_name="giftbatch",
            constraint=models.UniqueConstraint(
                fields=("unit", "content_sha256"), name="funds_giftbatch_content_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="giftbatchitem",
            constraint=models.UniqueConstraint(fields=("batch", "row"), name="funds_giftbatchitem_row_unique"),
        ),
        migrations.AddConstraint(
            model_name="pledge",
            constraint=models.CheckConstraint(condition=models.Q(("amount_fen__gt", 0)), name="funds_pledge_positive"),
        ),
        migrations.AddConstraint(
            model_name="pledge",
            constraint=models.CheckConstraint(
                condition=models.Q(("status", "open"), models.Q(("cancel_reason", ""), _negated=True), _connector="OR"),
                name="funds_pledge_cancel_reason",
            ),
        ),
        migrations.AddConstraint(
            model_name="pledgeinstalment",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount_fen__gt", 0)), name="funds_instalment_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="recurringgift",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount_fen__gt", 0)), name="funds_recurring_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="recurringgift",
            constraint=models.CheckConstraint(
                condition=models.Q(("day_of_month__gte", 1), ("day_of_month__lte", 28)), name="funds_recurring_day"
            ),
        ),
        migrations.AddConstraint(
            model_name="recurringgift",
            constraint=models.CheckConstraint(
                condition=models.Q(("ends_on__isnull", True), ("ends_on__gte", models.F("starts_on")), _connector="OR"),
                name="funds_recurring_dates",
            ),
        ),
        migrations.AddConstraint(
            model_name="recurringgift",
            constraint=models.CheckConstraint(
                condition=models.Q(("anonymous", True), ("consent_to_name", True), _negated=True),
                name="funds_recurring_anonymous_not_named",
            ),
        ),
        migrations.AddConstraint(
            model_name="recurringcharge",
            constraint=models.UniqueConstraint(
                fields=("instruction", "month"), name="funds_recurring_charge_month_unique"
            ),
        ),
    ]
