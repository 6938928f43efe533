"""On PostgreSQL, `funds_online_gift(...)`: everything an online gift writes, in one call (the hot path of
funds.services.donation_record_online; the general path and SQLite write the same rows through the ORM).

In order: the donor (unless anonymous), the entry and its two lines, the order marked paid; then the locks,
in the order every transaction of the books takes them: the fund's running total (its row lock) and the gift
with the total before it, the receipt counter (its row lock) and the receipt, and last the audit chain's lock
and last link (audit_chain_head), which the caller needs to append the gift's audit entries. A transaction id
recorded meanwhile by another order leaves no gift (ON CONFLICT DO NOTHING) and no row: the caller refuses it
and the transaction rolls back. The period trigger and the deferred balance and foreign-key checks hold as for
any entry."""

from django.db import migrations

FORWARDS = """
CREATE OR REPLACE FUNCTION funds_online_gift(
    p_donor bigint, p_name text, p_consent boolean, p_alias text, p_actor bigint, p_now timestamptz,
    p_entry bigint, p_unit bigint, p_today date, p_period bigint, p_memo text, p_asset bigint,
    p_account bigint, p_amount bigint, p_donation bigint, p_order bigint, p_provider text, p_txn text,
    p_restriction jsonb, p_audit_lock bigint,
    OUT receipt_id bigint, OUT receipt_number integer, OUT head_seq bigint, OUT head_hash text
) RETURNS SETOF record AS $$
DECLARE
    v_before bigint;
    v_year integer := extract(year FROM p_today);
BEGIN
    IF p_donor IS NOT NULL THEN
        INSERT INTO funds_donor (id, kind, name, uscc, anonymous, consent_to_name, alias, created_by_id, created_at)
        VALUES (p_donor, 'person', p_name, '', false, p_consent, p_alias, p_actor, p_now);
    END IF;
    INSERT INTO funds_ledgerentry (id, unit_id, date, period_id, kind, memo, reverses_id, created_by_id, created_at)
    VALUES (p_entry, p_unit, p_today, p_period, 'donation', p_memo, NULL, p_actor, p_now);
    INSERT INTO funds_ledgerline (entry_id, account_id, amount_fen)
    VALUES (p_entry, p_asset, p_amount), (p_entry, p_account, -p_amount);
    UPDATE funds_paymentorder SET status = 'paid', donation_id = p_donation, paid_at = p_now WHERE id = p_order;

    UPDATE funds_fundaccount SET inflow_fen = inflow_fen + p_amount WHERE id = p_account
    RETURNING inflow_fen - p_amount INTO v_before;
    INSERT INTO funds_donation (id, unit_id, donor_id, amount_fen, channel, provider, provider_txn_id, account_id,
        directed, restriction, received_on, receipt_declined, entry_id, cum_before_fen, created_at)
    VALUES (p_donation, p_unit, p_donor, p_amount, 'online', p_provider, p_txn, p_account,
        p_restriction IS NOT NULL, COALESCE(p_restriction, '{}'::jsonb), p_today, false, p_entry, v_before, p_now)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    UPDATE funds_receiptcounter c SET last_number = c.last_number + 1 WHERE c.unit_id = p_unit AND c.year = v_year
    RETURNING c.last_number INTO receipt_number;
    INSERT INTO funds_receipt (unit_id, year, number, donation_id, donor_name, amount_fen, issued_on, handler_id,
        withdrawn_reason)
    VALUES (p_unit, v_year, receipt_number, p_donation,
        CASE WHEN p_donor IS NULL THEN '' ELSE p_name END, p_amount, p_today, p_actor, '')
    RETURNING id INTO receipt_id;

    SELECT h.seq, h.hash INTO head_seq, head_hash FROM audit_chain_head(p_audit_lock) h;
    RETURN NEXT;
END; $$ LANGUAGE plpgsql VOLATILE;
"""
BACKWARDS = "DROP FUNCTION IF EXISTS funds_online_gift" + (
    "(bigint, text, boolean, text, bigint, timestamptz, bigint, bigint, date, bigint, text, bigint, bigint, bigint, "
    "bigint, bigint, text, text, jsonb, bigint);"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARDS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARDS)


class Migration(migrations.Migration):
    dependencies = [("funds", "0009_drive_final_report"), ("audit", "0004_chain_head_function")]
    operations = [migrations.RunPython(forwards, backwards)]
