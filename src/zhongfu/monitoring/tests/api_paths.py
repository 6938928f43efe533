"""This app's API endpoints, for the coverage matrix in registry/tests/test_api.py.

HOUSEHOLD_PATHS: (method, path template with {household_id}/{person_id}, data factory or None) — each is
called by every scoped role for an out-of-scope household and must answer 404.
"""

HOUSEHOLD_PATHS: list = [("get", "/api/households/{household_id}/risk", None)]
OTHER_PATHS: set = set()
