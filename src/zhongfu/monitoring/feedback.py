"""Data fed back to the departments (数据反馈): the warnings a worker closed as "data wrong", per feed.

A worker who visits and finds the department's data wrong closes the warning with what is wrong and the feed
to tell (warning_services.warning_close). This module is how it reaches the department: a list per feed for the
staff who load the feeds, and the same rows as a spreadsheet to send back with the next exchange. Names and
ID numbers are masked as everywhere else (the department finds its record from the masked ID, the date and
the values the explanation quotes)."""

import io

import xlsxwriter
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhongfu.common.errors import PermissionDenied
from zhongfu.common.personal_data import mask_name
from zhongfu.feeds.loading import LOAD_PERMISSION
from zhongfu.feeds.schemas import FEEDS
from zhongfu.registry.models import Membership, Relation

from .models import Warning, WarningOutcome, WarningStatus


def feedback_for_user(*, user, feed: str = "") -> QuerySet[Warning]:
    """Closed "data wrong" warnings in the user's scope, newest first, with the household head's name and
    masked ID number (`head_name`, `head_id_masked`). Only feed loaders see them."""
    if not user.is_authenticated or not user.has_perm(LOAD_PERMISSION) or user.scope_prefix is None:
        raise PermissionDenied()
    head = Membership.objects.filter(household=OuterRef("household_id"), relation=Relation.HEAD, end_date__isnull=True)
    qs = Warning.objects.filter(
        status=WarningStatus.CLOSED,
        outcome=WarningOutcome.DATA_WRONG,
        region__code__startswith=user.scope_prefix,
    )
    if feed:
        qs = qs.filter(feedback_feed=feed)
    return (
        qs.select_related("region", "household", "closed_by")
        .annotate(
            head_name=Subquery(head.values("person__name")[:1]),
            head_id_masked=Subquery(head.values("person__id_number_masked")[:1]),
        )
        .order_by("-closed_at", "-id")
    )


def feedback_counts(*, user) -> dict[str, int]:
    """{feed: closed "data wrong" warnings} in the user's scope."""
    counts: dict[str, int] = {}
    for feed in feedback_for_user(user=user).values_list("feedback_feed", flat=True):
        counts[feed] = counts.get(feed, 0) + 1
    return counts


def feedback_rows(warnings, language: str) -> list[dict]:
    """What the page and the spreadsheet show, one dict per warning (names masked)."""
    rows = []
    for w in warnings:
        schema = FEEDS.get(w.feedback_feed)
        rows.append(
            {
                "id": w.pk,
                "closed_on": w.closed_at.date() if w.closed_at else None,
                "feed": str(schema.name) if schema else w.feedback_feed,
                "department": str(schema.department) if schema else "",
                "region": w.region.name,
                "household": w.household.number if w.household_id else w.address,
                "name": mask_name(w.head_name) if w.head_name else "",
                "id_masked": w.head_id_masked or "",
                "what_the_data_said": "; ".join(w.explanation.get(language) or w.explanation.get("zh") or []),
                "what_is_wrong": w.outcome_note,
                "closed_by": str(w.closed_by) if w.closed_by_id else "",
            }
        )
    return rows


COLUMNS = (
    ("closed_on", gettext_lazy("Closed on")),
    ("feed", gettext_lazy("Feed")),
    ("department", gettext_lazy("Department")),
    ("region", gettext_lazy("Community")),
    ("household", gettext_lazy("Household")),
    ("name", gettext_lazy("Head of household")),
    ("id_masked", gettext_lazy("ID number")),
    ("what_the_data_said", gettext_lazy("What the data said")),
    ("what_is_wrong", gettext_lazy("What is wrong")),
    ("closed_by", gettext_lazy("Closed by")),
)


def feedback_xlsx(rows: list[dict]) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet(_("Data feedback")[:31])
    sheet.write_row(0, 0, [str(label) for _key, label in COLUMNS], bold)
    for i, row in enumerate(rows, start=1):
        for j, (key, _label) in enumerate(COLUMNS):
            value = row[key]
            sheet.write_string(i, j, value.isoformat() if hasattr(value, "isoformat") else str(value or ""))
    sheet.set_column(0, len(COLUMNS) - 1, 18)
    sheet.set_column(7, 8, 48)
    book.close()
    return out.getvalue()
