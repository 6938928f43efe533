from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    """Determinations with explanations, batch screening runs and standard simulations."""

    name = "zhongfu.screening"
    label = "screening"
