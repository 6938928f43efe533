from django.apps import AppConfig


class RegionsConfig(AppConfig):
    """The GB/T 2260 region tree: city → district → street (9 digits) → community (12 digits)."""

    name = "zhongfu.regions"
    label = "regions"
