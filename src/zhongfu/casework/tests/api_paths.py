"""This app's API endpoints, for the coverage matrix in registry/tests/test_api.py.

The case endpoints name a case (or an application), not a household, so they are OTHER_PATHS; their
scope (out of scope = 404 for every scoped role) is tested in casework/tests/test_api.py. The application
endpoints were already listed by the registry's tests.
"""

HOUSEHOLD_PATHS: list = []
OTHER_PATHS: set = {
    ("GET", "/api/cases"),
    ("GET", "/api/cases/{case_id}"),
    ("POST", "/api/cases/{case_id}/steps"),
    ("GET", "/api/applications/{application_id}/cases"),
}
