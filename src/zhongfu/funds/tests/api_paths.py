"""This app's API endpoints, for the coverage matrix in registry/tests/test_api.py.

None names a household. OTHER_PATHS are covered by funds/tests/test_api.py: other roles get 403, another
unit's accounts and gifts 404, bad amounts 422 naming the field.
"""

HOUSEHOLD_PATHS: list = []
OTHER_PATHS: set = {
    ("GET", "/api/funds/accounts"),
    ("POST", "/api/funds/donations"),
    ("GET", "/api/funds/donations/{donation_id}/trace"),
    ("POST", "/api/funds/allocations"),
    ("POST", "/api/funds/donations/{donation_id}/receipt"),
    # A payment provider's callback: no token, signed instead (funds/tests/test_online.py).
    ("POST", "/api/funds/callbacks/{provider}"),
}

# Bank reconciliation and donors' inquiries (funds/tests/test_recon_api.py): other roles 403, another unit's
# statements, lines and questions 404, a faulty statement 422 with its rows and nothing written.
OTHER_PATHS |= {
    ("GET", "/api/funds/statements"),
    ("POST", "/api/funds/statements"),
    ("GET", "/api/funds/statements/{statement_id}"),
    ("POST", "/api/funds/statements/{statement_id}/rematch"),
    ("POST", "/api/funds/statement-lines/{line_id}/match"),
    ("POST", "/api/funds/statement-lines/{line_id}/explain"),
    ("POST", "/api/funds/statement-lines/{line_id}/reopen"),
    ("POST", "/api/funds/statement-lines/{line_id}/gift"),
    ("GET", "/api/funds/inquiries"),
    ("POST", "/api/funds/inquiries"),
    ("GET", "/api/funds/inquiries/figures"),
    ("GET", "/api/funds/inquiries/{inquiry_id}"),
    ("POST", "/api/funds/inquiries/{inquiry_id}/answer"),
}

# Batches of gifts, pledges and recurring gifts (funds/tests/test_promise_api.py): other roles 403, another
# unit's batches, pledges and instructions 404, a faulty batch 422 with its rows and nothing written.
OTHER_PATHS |= {
    ("GET", "/api/funds/batches"),
    ("POST", "/api/funds/batches"),
    ("POST", "/api/funds/batches/rows"),
    ("GET", "/api/funds/batches/{batch_id}"),
    ("GET", "/api/funds/pledges"),
    ("POST", "/api/funds/pledges"),
    ("GET", "/api/funds/pledges/{pledge_id}"),
    ("POST", "/api/funds/pledges/{pledge_id}/gifts"),
    ("POST", "/api/funds/pledges/{pledge_id}/cancel"),
    ("GET", "/api/funds/recurring"),
    ("POST", "/api/funds/recurring"),
    ("POST", "/api/funds/recurring/{instruction_id}/status"),
}
