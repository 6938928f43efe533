"""Loaded batches of department data and their records.

A batch is written only when every row of its file is valid (feeds/loading.py), so every batch here is
complete. A record keeps the keyed hash of the ID number (the registry's lookup hash) and its masked
form, never the clear number; `person` is set when the hash matched a registered person at load time.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .schemas import FEED_CHOICES


class BatchSource(models.TextChoices):
    UPLOAD = "upload", _("file upload")
    API = "api", _("API push")


class BatchStatus(models.TextChoices):
    # Only complete batches are ever written; "withdrawn" is kept for a batch the department recalls.
    LOADED = "loaded", _("loaded")
    WITHDRAWN = "withdrawn", _("withdrawn")


class FeedBatch(models.Model):
    feed = models.CharField(_("feed"), max_length=32, choices=FEED_CHOICES)
    version = models.PositiveIntegerField(_("version"))
    source = models.CharField(_("source"), max_length=8, choices=BatchSource.choices)
    file_name = models.CharField(_("file"), max_length=200)
    # SHA-256 of the file's bytes (or of the pushed rows as canonical JSON): the same data twice is refused.
    content_sha256 = models.CharField(_("SHA-256"), max_length=64)
    status = models.CharField(_("status"), max_length=12, choices=BatchStatus.choices, default=BatchStatus.LOADED)
    row_count = models.PositiveIntegerField(_("rows"))
    matched_count = models.PositiveIntegerField(_("matched"))
    unmatched_count = models.PositiveIntegerField(_("unmatched"))
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("loaded by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    loaded_at = models.DateTimeField(_("loaded at"))

    class Meta:
        verbose_name = _("feed batch")
        verbose_name_plural = _("feed batches")
        ordering = ["-loaded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["feed", "version"], name="feed_batch_version_unique"),
            models.UniqueConstraint(fields=["feed", "content_sha256"], name="feed_batch_content_once"),
            models.CheckConstraint(
                condition=Q(matched_count__lte=models.F("row_count"))
                & Q(unmatched_count=models.F("row_count") - models.F("matched_count")),
                name="feed_batch_counts_add_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.feed} v{self.version}"


class FeedRecord(models.Model):
    batch = models.ForeignKey(FeedBatch, on_delete=models.CASCADE, related_name="records")
    feed = models.CharField(_("feed"), max_length=32, choices=FEED_CHOICES)  # the batch's, for one-table reads
    row = models.PositiveIntegerField(_("row"))  # as numbered in the file (header = row 1) or pushed (first = 1)
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("person"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    id_hash = models.CharField(max_length=64, db_index=True)
    id_number_masked = models.CharField(_("ID number"), max_length=18)
    # The matched person's community at load time (empty when unmatched or without a household): scope.
    region_code = models.CharField(_("region"), max_length=12, blank=True, db_index=True)
    date = models.DateField(_("date"))
    values = models.JSONField(_("values"))  # column key → typed value (money in fen, dates ISO)

    class Meta:
        verbose_name = _("feed record")
        verbose_name_plural = _("feed records")
        constraints = [models.UniqueConstraint(fields=["batch", "row"], name="feed_record_row_once")]
        indexes = [models.Index(fields=["feed", "person", "-date"], name="feed_record_latest")]
