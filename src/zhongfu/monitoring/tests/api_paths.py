"""This app's API endpoints, for the coverage matrix in registry/tests/test_api.py.

HOUSEHOLD_PATHS: (method, path template with {household_id}/{person_id}, data factory or None) — each is
called by every scoped role for an out-of-scope household and must answer 404.
OTHER_PATHS: warnings name a warning, not a household (their scope is tested in tests/test_api_warnings.py);
runs are city-wide.
"""

HOUSEHOLD_PATHS: list = [("get", "/api/households/{household_id}/risk", None)]
OTHER_PATHS: set = {
    ("GET", "/api/warnings"),
    ("GET", "/api/warnings/{warning_id}"),
    ("POST", "/api/warnings/{warning_id}/close"),
    ("POST", "/api/warnings/discoveries"),
    ("POST", "/api/monitoring/runs"),
    ("GET", "/api/monitoring/runs/{run_id}"),
}
