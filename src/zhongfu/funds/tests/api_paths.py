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
