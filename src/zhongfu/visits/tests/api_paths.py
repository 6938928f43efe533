"""This app's API endpoints, for the coverage matrix in registry/tests/test_api.py.

HOUSEHOLD_PATHS: (method, path template with {household_id}/{person_id}, data factory or None) — each is
called by every scoped role for an out-of-scope household and must answer 404.
OTHER_PATHS: {("GET", "/api/...")} — endpoints that do not name a household; covered by this app's tests
(visits/tests/test_pages_api.py: scope of the due list and the rates).
"""

HOUSEHOLD_PATHS: list = [
    ("get", "/api/households/{household_id}/visits", None),
    ("post", "/api/households/{household_id}/visits", lambda: {"visited_on": "2025-06-01", "outcome": "well"}),
]
OTHER_PATHS: set = {("GET", "/api/visits/due"), ("GET", "/api/visits/rates")}
