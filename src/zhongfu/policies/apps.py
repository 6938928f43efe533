from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    """帮什么: policy files, dated parameters (maker-checker) and the engine that compiles them to Polars plans."""

    name = "zhongfu.policies"
    label = "policies"
