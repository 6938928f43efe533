# Bank statements and their reconciliation; donors' inquiries and the rule of their deadline (20 days shipped).
import datetime

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def seed_rule(apps, schema_editor):
    # The shipped default (docs/funds.md, "Donor inquiries"); administrators confirm or replace it.
    InquiryRule = apps.get_model("funds", "InquiryRule")
    InquiryRule.objects.get_or_create(
        valid_from=datetime.date(2016, 9, 1),
        defaults={
            "days": 20,
            "source": "A donor's question about the use of funds is answered within 20 days (one local rule)",
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("funds", "0007_gift_batches_pledges"),
        ("accounts", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="BankStatement",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("period_start", models.DateField(verbose_name="from")),
                ("period_end", models.DateField(verbose_name="to")),
                ("opening_balance_fen", models.BigIntegerField(verbose_name="opening balance (fen)")),
                ("closing_balance_fen", models.BigIntegerField(verbose_name="closing balance (fen)")),
                ("file_name", models.CharField(max_length=200, verbose_name="file")),
                ("sha256", models.CharField(max_length=64)),
                ("uploaded_at", models.DateTimeField(auto_now_add=True)),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="statements",
                        to="funds.fundaccount",
                        verbose_name="bank account",
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
                (
                    "uploaded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "verbose_name": "bank statement",
                "verbose_name_plural": "bank statements",
                "ordering": ["-period_end", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="BankStatementLine",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("row", models.PositiveIntegerField(verbose_name="row")),
                ("date", models.DateField(verbose_name="date")),
                ("amount_fen", models.BigIntegerField(verbose_name="amount (fen)")),
                ("counterparty", models.CharField(blank=True, default="", max_length=100, verbose_name="counterparty")),
                ("reference", models.CharField(blank=True, default="", max_length=64, verbose_name="bank reference")),
                ("memo", models.CharField(blank=True, default="", max_length=200, verbose_name="memo")),
                (
                    "status",
                    models.CharField(
                        choices=[("unmatched", "unmatched"), ("matched", "matched"), ("explained", "explained")],
                        default="unmatched",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                (
                    "how",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("", "—"),
                            ("reference", "by reference"),
                            ("amount_date", "by amount and date"),
                            ("manual", "by hand"),
                            ("gift", "recorded as a gift"),
                        ],
                        default="",
                        max_length=16,
                        verbose_name="matched",
                    ),
                ),
                ("candidates", models.PositiveSmallIntegerField(default=0)),
                ("note", models.CharField(blank=True, default="", max_length=200, verbose_name="note")),
                ("resolved_at", models.DateTimeField(blank=True, null=True)),
                (
                    "ledger_line",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="statement_lines",
                        to="funds.ledgerline",
                    ),
                ),
                (
                    "resolved_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "statement",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="lines", to="funds.bankstatement"
                    ),
                ),
            ],
            options={
                "verbose_name": "bank statement line",
                "verbose_name_plural": "bank statement lines",
                "ordering": ["statement_id", "row"],
            },
        ),
        migrations.CreateModel(
            name="Inquiry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "channel",
                    models.CharField(
                        choices=[
                            ("online", "on the trace page"),
                            ("phone", "by phone"),
                            ("letter", "by letter"),
                            ("visit", "in person"),
                        ],
                        max_length=16,
                        verbose_name="asked",
                    ),
                ),
                ("question", models.TextField(verbose_name="question")),
                ("received_on", models.DateField(verbose_name="received on")),
                ("due_on", models.DateField(verbose_name="due on")),
                ("answer", models.TextField(blank=True, default="", verbose_name="answer")),
                ("answered_on", models.DateField(blank=True, null=True, verbose_name="answered on")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "answered_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "donation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="inquiries",
                        to="funds.donation",
                        verbose_name="gift",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
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
                "verbose_name": "donor inquiry",
                "verbose_name_plural": "donor inquiries",
                "ordering": ["due_on", "pk"],
            },
        ),
        migrations.CreateModel(
            name="InquiryRule",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("days", models.PositiveSmallIntegerField(verbose_name="days to answer")),
                ("valid_from", models.DateField(unique=True, verbose_name="valid from")),
                ("source", models.CharField(blank=True, default="", max_length=200, verbose_name="source")),
            ],
            options={
                "verbose_name": "inquiry deadline rule",
                "verbose_name_plural": "inquiry deadline rules",
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("days__gt", 0)), name="funds_inquiryrule_positive")
                ],
            },
        ),
        migrations.AddConstraint(
            model_name="bankstatement",
            constraint=models.UniqueConstraint(fields=("account", "sha256"), name="funds_statement_once"),
        ),
        migrations.AddConstraint(
            model_name="bankstatement",
            constraint=models.CheckConstraint(
                condition=models.Q(("period_end__gte", models.F("period_start"))), name="funds_statement_period_ordered"
            ),
        ),
        migrations.AddConstraint(
            model_name="bankstatementline",
            constraint=models.UniqueConstraint(
                condition=models.Q(("ledger_line__isnull", False)),
                fields=("ledger_line",),
                name="funds_statement_line_one_match",
            ),
        ),
        migrations.AddConstraint(
            model_name="bankstatementline",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount_fen", 0), _negated=True), name="funds_statement_line_not_zero"
            ),
        ),
        migrations.AddConstraint(
            model_name="bankstatementline",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("ledger_line__isnull", False), ("status", "matched")),
                    models.Q(models.Q(("status", "matched"), _negated=True), ("ledger_line__isnull", True)),
                    _connector="OR",
                ),
                name="funds_statement_line_matched_has_line",
            ),
        ),
        migrations.AddConstraint(
            model_name="bankstatementline",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "explained"), _negated=True),
                    models.Q(("note", ""), _negated=True),
                    _connector="OR",
                ),
                name="funds_statement_line_explained_note",
            ),
        ),
        migrations.AddIndex(
            model_name="inquiry",
            index=models.Index(fields=["unit", "answered_on", "due_on"], name="funds_inquiry_open_idx"),
        ),
        migrations.AddConstraint(
            model_name="inquiry",
            constraint=models.CheckConstraint(
                condition=models.Q(("due_on__gte", models.F("received_on"))), name="funds_inquiry_due_after"
            ),
        ),
        migrations.AddConstraint(
            model_name="inquiry",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("answer", ""), ("answered_on__isnull", True)),
                    models.Q(("answered_on__isnull", False), models.Q(("answer", ""), _negated=True)),
                    _connector="OR",
                ),
                name="funds_inquiry_answer_dated",
            ),
        ),
        migrations.RunPython(seed_rule, migrations.RunPython.noop),
    ]
