"""This app's API endpoints, for the coverage matrix in registry/tests/test_api.py.

HOUSEHOLD_PATHS: (method, path template with {household_id}/{person_id}, data factory or None) — each is
called by every scoped role for an out-of-scope household and must answer 404.
OTHER_PATHS: {("GET", "/api/...")} — endpoints that do not name a household; covered by this app's tests
(payments/tests/test_api.py: rolls and callbacks outside the region are 404, non-managers 403).
"""

HOUSEHOLD_PATHS: list = [
    (
        "put",
        "/api/households/{household_id}/payee-account",
        lambda: {"payee_id": 1, "bank_name": "中国工商银行", "account_number": "6222021202001234567"},
    ),
]
OTHER_PATHS: set = {
    ("GET", "/api/payments/rolls"),
    ("POST", "/api/payments/rolls"),
    ("GET", "/api/payments/rolls/{roll_id}"),
    ("POST", "/api/payments/rolls/{roll_id}/issue"),
    ("POST", "/api/payments/rolls/{roll_id}/reissue"),
    ("POST", "/api/payments/rolls/{roll_id}/close"),
    ("GET", "/api/payments/rolls/{roll_id}/file"),
    ("POST", "/api/payments/rolls/{roll_id}/results"),
    ("GET", "/api/payments/callbacks"),
    ("POST", "/api/payments/callbacks/{callback_id}"),
}
