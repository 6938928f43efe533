"""Pages of the funds app: officers' accounts, gifts, receipts, allocations and ledger; a donor's trace by a
signed link; the public disclosure page per unit."""

from django.urls import path  # noqa: F401

app_name = "funds"
urlpatterns: list = []
