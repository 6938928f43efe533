from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """Monthly payment rolls for enrolled cases, bank batch files and their results, callbacks (回访)."""

    name = "zhongfu.payments"
    label = "payments"
