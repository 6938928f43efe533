from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Who did what: an append-only, hash-chained log of every change and every unmasking."""

    name = "zhongfu.audit"
    label = "audit"
