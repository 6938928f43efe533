from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """Dynamic monitoring (动态监测): the risk model over department feeds, its versions and household scores."""

    name = "zhongfu.monitoring"
    label = "monitoring"
