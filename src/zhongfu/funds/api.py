"""Funds endpoints of the JSON API (accounts, offline gifts, receipts, allocations, a gift's trace)."""

from ninja import Router

router = Router(tags=["funds"])
