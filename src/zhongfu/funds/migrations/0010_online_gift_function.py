"""On PostgreSQL, `funds_online_gift(...)`: an online gift in one statement — the hot path of
funds.services.donation_record_online (the general path and SQLite write the same rows through the ORM;
funds/tests/test_online.py checks that both write the same rows and audit entries).

Run outside a transaction it is a transaction of its own, so no lock it takes is ever held while the
database waits on Python: the order's row lock, then the month's period (shared), and last, in the order
every transaction of the books takes them, the fund's running total, the receipt counter and the audit
chain (audit_append, migration audit/0004), all released by the commit at the statement's end.

It returns no order id — having written nothing — for anything but the plain case, which the general path
then refuses, answers or prepares: no such order, an order paid, a wrong amount, a transaction id already
recorded, no site user, bank account, open period or receipt counter yet, a fund that is not the unit's
general or restricted one. A transaction id recorded meanwhile by another order breaks the gift's unique
constraint: the statement fails whole and the caller takes the general path. The kinds and statuses written
here ('person', 'donation', 'online', 'paid', 'bank', 'general', 'restricted') are the models' values."""

from django.db import migrations

FORWARDS = """
CREATE OR REPLACE FUNCTION funds_online_gift(
    p_provider text, p_txn text, p_order text, p_amount bigint, p_online text, p_today date, p_now timestamptz,
    p_audit_lock bigint,
    OUT out_order bigint, OUT out_donation bigint, OUT out_number integer
) AS $$
DECLARE
    o record;
    v_year integer := extract(year FROM p_today);
    v_actor bigint;
    v_bank bigint;
    v_account bigint;
    v_code text;
    v_restriction jsonb;
    v_period bigint;
    v_locked boolean;
    v_donor bigint;
    v_entry bigint;
    v_before bigint;
    v_receipt bigint;
    v_receipt_code text;
BEGIN
    SELECT po.id, po.unit_id, po.account_id, po.amount_fen, po.donor_name, po.anonymous, po.consent_to_name,
        po.alias, po.status
    INTO o FROM funds_paymentorder po WHERE po.reference = p_order AND po.provider = p_provider FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF o.status = 'paid' OR o.amount_fen <> p_amount OR EXISTS (
        SELECT 1 FROM funds_donation d
        WHERE d.provider = p_provider AND d.provider_txn_id = p_txn AND d.provider_txn_id <> ''
    ) THEN
        RETURN;
    END IF;
    SELECT u.id INTO v_actor FROM accounts_user u WHERE u.username = p_online;
    SELECT f.id INTO v_bank FROM funds_fundaccount f WHERE f.unit_id = o.unit_id AND f.code = 'bank';
    SELECT f.id, f.code, CASE WHEN f.kind = 'restricted' THEN jsonb_build_object(
            'project', f.restriction_project, 'region_prefix', f.restriction_region_prefix,
            'group', f.restriction_group) END
    INTO v_account, v_code, v_restriction
    FROM funds_fundaccount f
    WHERE f.unit_id = o.unit_id AND f.kind IN ('general', 'restricted')
        AND CASE WHEN o.account_id IS NULL THEN f.code = 'general' ELSE f.id = o.account_id END;
    SELECT p.id, p.locked INTO v_period, v_locked
    FROM funds_period p WHERE p.unit_id = o.unit_id AND p.month = date_trunc('month', p_today)::date FOR SHARE;
    IF v_actor IS NULL OR v_bank IS NULL OR v_account IS NULL OR v_period IS NULL OR v_locked OR NOT EXISTS (
        SELECT 1 FROM funds_receiptcounter c WHERE c.unit_id = o.unit_id AND c.year = v_year
    ) THEN
        RETURN;
    END IF;

    -- What is the gift's own: its donor, its entry and two lines, the order paid.
    IF NOT o.anonymous THEN
        INSERT INTO funds_donor (kind, name, uscc, anonymous, consent_to_name, alias, created_by_id, created_at)
        VALUES ('person', o.donor_name, '', false, o.consent_to_name, o.alias, v_actor, p_now)
        RETURNING id INTO v_donor;
    END IF;
    INSERT INTO funds_ledgerentry (unit_id, date, period_id, kind, memo, reverses_id, created_by_id, created_at)
    VALUES (o.unit_id, p_today, v_period, 'donation', p_provider || ' ' || p_order, NULL, v_actor, p_now)
    RETURNING id INTO v_entry;
    INSERT INTO funds_ledgerline (entry_id, account_id, amount_fen)
    VALUES (v_entry, v_bank, p_amount), (v_entry, v_account, -p_amount);
    out_donation := nextval(pg_get_serial_sequence('funds_donation', 'id'));
    UPDATE funds_paymentorder SET status = 'paid', donation_id = out_donation, paid_at = p_now WHERE id = o.id;

    -- What it shares, locked last and in this order: the fund's running total, the receipt counter.
    UPDATE funds_fundaccount SET inflow_fen = inflow_fen + p_amount WHERE id = v_account
    RETURNING inflow_fen - p_amount INTO v_before;
    INSERT INTO funds_donation (id, unit_id, donor_id, amount_fen, channel, provider, provider_txn_id, account_id,
        directed, restriction, received_on, receipt_declined, entry_id, cum_before_fen, created_at)
    VALUES (out_donation, o.unit_id, v_donor, p_amount, 'online', p_provider, p_txn, v_account,
        v_restriction IS NOT NULL, COALESCE(v_restriction, '{}'::jsonb), p_today, false, v_entry, v_before, p_now);
    UPDATE funds_receiptcounter c SET last_number = c.last_number + 1 WHERE c.unit_id = o.unit_id AND c.year = v_year
    RETURNING c.last_number INTO out_number;
    INSERT INTO funds_receipt (unit_id, year, number, donation_id, donor_name, amount_fen, issued_on, handler_id,
        withdrawn_reason)
    VALUES (o.unit_id, v_year, out_number, out_donation, CASE WHEN o.anonymous THEN '' ELSE o.donor_name END,
        p_amount, p_today, v_actor, '')
    RETURNING id INTO v_receipt;
    v_receipt_code := v_year || '-' || CASE WHEN out_number < 1000000 THEN lpad(out_number::text, 6, '0')
        ELSE out_number::text END;

    -- And the audit chain, with the entries the general path writes, in its order.
    IF v_donor IS NOT NULL THEN
        PERFORM audit_append(p_audit_lock, p_now, v_actor, p_online, 'create', 'donor', v_donor::text, NULL, '',
            NULL, jsonb_build_object('kind', 'person', 'consent', o.consent_to_name), '');
    END IF;
    PERFORM audit_append(p_audit_lock, p_now, v_actor, p_online, 'create', 'donation', out_donation::text, NULL,
        '', NULL, jsonb_build_object('amount_fen', p_amount, 'channel', 'online', 'account', v_code,
        'entry', v_entry), '');
    PERFORM audit_append(p_audit_lock, p_now, v_actor, p_online, 'issue', 'receipt', v_receipt::text, NULL, '',
        NULL, jsonb_build_object('number', v_receipt_code, 'donation', out_donation), '');
    PERFORM audit_append(p_audit_lock, p_now, v_actor, p_online, 'update', 'payment_order', o.id::text, NULL, '',
        NULL, jsonb_build_object('status', 'paid', 'txn_id', p_txn, 'donation', out_donation), '');
    out_order := o.id;
END; $$ LANGUAGE plpgsql VOLATILE;
"""
BACKWARDS = "DROP FUNCTION IF EXISTS funds_online_gift(text, text, text, bigint, text, date, timestamptz, bigint);"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARDS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARDS)


class Migration(migrations.Migration):
    dependencies = [("funds", "0009_drive_final_report"), ("audit", "0004_append_function")]
    operations = [migrations.RunPython(forwards, backwards)]
