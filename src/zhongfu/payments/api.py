"""JSON API of the payments app (see the app's docstring)."""

from ninja import Router

router = Router(tags=["payments"])
