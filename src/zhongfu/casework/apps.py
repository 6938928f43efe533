from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    """The path of one case: applications (one application → a case per policy)."""

    name = "zhongfu.casework"
    label = "casework"
