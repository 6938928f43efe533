from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Shared pieces with no tables: identifiers, personal-data protection, money, errors, layout."""

    name = "zhongfu.common"
    label = "common"
