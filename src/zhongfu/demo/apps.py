from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The generated demo city: synthetic households on real Hangzhou streets, and demo logins."""

    name = "zhongfu.demo"
    label = "demo"
