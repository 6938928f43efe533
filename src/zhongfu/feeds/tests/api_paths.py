"""This app's API endpoints, for the coverage matrix in registry/tests/test_api.py.

Feeds name no household: they are city-wide department data, read and loaded by those who may import
(feeds/tests/test_api_and_pages.py: 403 for other roles, unmatched rows for city-level users only,
matched counts per district inside the user's scope).
"""

HOUSEHOLD_PATHS: list = []
OTHER_PATHS: set = {
    ("GET", "/api/feeds"),
    ("GET", "/api/feeds/{feed}/batches"),
    ("POST", "/api/feeds/{feed}/batches"),
    ("GET", "/api/feeds/batches/{batch_id}"),
}
