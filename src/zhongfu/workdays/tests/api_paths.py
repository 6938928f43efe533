"""This app's API endpoints, for the coverage matrix in registry/tests/test_api.py.

HOUSEHOLD_PATHS: (method, path template with {household_id}/{person_id}, data factory or None) — each is
called by every scoped role for an out-of-scope household and must answer 404.
OTHER_PATHS: {("GET", "/api/...")} — endpoints that do not name a household; covered by this app's tests
(workdays/tests/test_api.py).
"""

HOUSEHOLD_PATHS: list = []
# The calendar is city-wide: every logged-in user reads it, only the city administrator changes it.
OTHER_PATHS: set = {
    ("GET", "/api/workdays/limit"),
    ("GET", "/api/workdays/{year}"),
    ("PUT", "/api/workdays/days/{date}"),
    ("DELETE", "/api/workdays/days/{date}"),
}
