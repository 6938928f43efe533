"""This app's API endpoints, for the coverage matrix in registry/tests/test_api.py.

HOUSEHOLD_PATHS: (method, path template with {household_id}/{person_id}, data factory or None) — each is
called by every scoped role for an out-of-scope household and must answer 404.
OTHER_PATHS: {("GET", "/api/...")} — endpoints that do not name a household; covered by this app's tests.
The notification endpoints name the caller's own notifications (another user's answers 404): see
notifications/tests/test_pages_api.py.
"""

HOUSEHOLD_PATHS: list = []
OTHER_PATHS: set = {
    ("GET", "/api/notifications"),
    ("POST", "/api/notifications/{notification_id}/read"),
    ("POST", "/api/notifications/read-all"),
}
