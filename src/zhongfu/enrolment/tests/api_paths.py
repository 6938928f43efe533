"""This app's API endpoints, for the coverage matrix in registry/tests/test_api.py. They name a review, a
case or a recovery, not a household; their scope (out of scope = 404) is tested in enrolment/tests/test_api.py.
"""

HOUSEHOLD_PATHS: list = []
OTHER_PATHS: set = {
    ("GET", "/api/reviews"),
    ("GET", "/api/reviews/{review_id}"),
    ("POST", "/api/reviews/{review_id}"),
    ("POST", "/api/reviews/{review_id}/rescreen"),
    ("POST", "/api/cases/{case_id}/enrolment"),
    ("POST", "/api/cases/{case_id}/recoveries"),
    ("GET", "/api/recoveries"),
    ("POST", "/api/recoveries/{recovery_id}"),
}
