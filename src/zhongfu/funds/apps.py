from django.apps import AppConfig


class FundsConfig(AppConfig):
    """Charity money: donors, donations, fund accounts, the append-only ledger, receipts, tracing."""

    name = "zhongfu.funds"
    label = "funds"
