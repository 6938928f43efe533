from django.apps import AppConfig


class VisitsConfig(AppConfig):
    """Caring visits (探访): who is due a visit by household class, the visit form, visit rates."""

    name = "zhongfu.visits"
    label = "visits"
