from django.apps import AppConfig


class RegistryConfig(AppConfig):
    """Who: households, members, ID numbers, income, assets, expenses, conditions, change history."""

    name = "zhongfu.registry"
    label = "registry"
