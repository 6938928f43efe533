from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    """In public and for the household: the household code (幸福码) and the benefit list (幸福清单)."""

    name = "zhongfu.disclosure"
    label = "disclosure"
