from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Who may: users, roles, region and unit scope, API tokens."""

    name = "zhongfu.accounts"
    label = "accounts"
