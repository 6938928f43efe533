"""Running totals for tracing a gift (docs/funds.md, "Tracing a gift"): each fund account counts every fen
ever credited in and ever paid out, and each gift, allocation and payment carries the total before it, so a
gift's place in its fund (first in, first out) is read from its own row, and what it funded is found by an
index range scan, instead of summing every earlier gift.

The existing rows are backfilled in the order the old rule used (ledger entry id within each account). The
ledger's own tables (entries, lines) are not touched; the rows updated here are written once in the code
(at insert) from now on."""

from django.db import migrations, models

# Window sums work on SQLite (3.25+) and PostgreSQL alike; UPDATE … FROM needs SQLite 3.33+.
_BACKFILL = [
    """UPDATE funds_donation SET cum_before_fen = w.c FROM (
         SELECT id, COALESCE(SUM(amount_fen) OVER (PARTITION BY account_id ORDER BY entry_id
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS c FROM funds_donation) AS w
       WHERE w.id = funds_donation.id""",
    """UPDATE funds_allocation SET out_cum_before_fen = w.o, in_cum_before_fen = w.i FROM (
         SELECT id,
                COALESCE(SUM(amount_fen) OVER (PARTITION BY from_account_id ORDER BY entry_id
                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS o,
                COALESCE(SUM(amount_fen) OVER (PARTITION BY to_account_id ORDER BY entry_id
                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS i
         FROM funds_allocation) AS w
       WHERE w.id = funds_allocation.id""",
    """UPDATE funds_disbursement SET cum_before_fen = w.c FROM (
         SELECT id, COALESCE(SUM(amount_fen) OVER (PARTITION BY account_id ORDER BY entry_id
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS c FROM funds_disbursement) AS w
       WHERE w.id = funds_disbursement.id""",
    """UPDATE funds_fundaccount SET
         inflow_fen = COALESCE((SELECT SUM(amount_fen) FROM funds_donation d WHERE d.account_id = funds_fundaccount.id), 0)
                    + COALESCE((SELECT SUM(amount_fen) FROM funds_allocation a
                                WHERE a.to_account_id = funds_fundaccount.id), 0),
         outflow_fen = COALESCE((SELECT SUM(amount_fen) FROM funds_allocation a
                                 WHERE a.from_account_id = funds_fundaccount.id), 0)
                     + COALESCE((SELECT SUM(amount_fen) FROM funds_disbursement p
                                 WHERE p.account_id = funds_fundaccount.id), 0)""",
]


def backfill(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        for sql in _BACKFILL:
            cur.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("funds", "0005_drive_rules_and_notes")]

    operations = [
        migrations.AddField(
            model_name="fundaccount",
            name="inflow_fen",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="fundaccount",
            name="outflow_fen",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        # Required from now on (no default: a row written without its running total is refused); existing
        # rows get 0 here and their real totals just below.
        migrations.AddField(
            model_name="donation",
            name="cum_before_fen",
            field=models.BigIntegerField(default=0, editable=False),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="allocation",
            name="out_cum_before_fen",
            field=models.BigIntegerField(default=0, editable=False),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="allocation",
            name="in_cum_before_fen",
            field=models.BigIntegerField(default=0, editable=False),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="disbursement",
            name="cum_before_fen",
            field=models.BigIntegerField(default=0, editable=False),
            preserve_default=False,
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="donation",
            index=models.Index(fields=["account", "cum_before_fen"], name="funds_donation_cum"),
        ),
        migrations.AddIndex(
            model_name="allocation",
            index=models.Index(fields=["from_account", "out_cum_before_fen"], name="funds_allocation_out_cum"),
        ),
        migrations.AddIndex(
            model_name="allocation",
            index=models.Index(fields=["to_account", "in_cum_before_fen"], name="funds_allocation_in_cum"),
        ),
        migrations.AddIndex(
            model_name="disbursement",
            index=models.Index(fields=["account", "cum_before_fen"], name="funds_disbursement_cum"),
        ),
    ]
