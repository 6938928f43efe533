from django.apps import AppConfig


class FeedsConfig(AppConfig):
    """Department data feeds (部门数据): declared schemas, loaded batches and their records."""

    name = "zhongfu.feeds"
    label = "feeds"

    def ready(self):
        # A schema with a fault should stop the start, not the first upload.
        from .schemas import schemas_check

        schemas_check()
