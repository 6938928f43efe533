"""Feeds pages: the feeds with their schemas, loading a file, a feed's batches, a batch's report.

Thin: one selector or service each. A rejected file answers 400 with the row-by-row report and nothing
written; the report's scope (unmatched rows for city-level users only) is the selectors'."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from zhongfu.common.errors import NotFound
from zhongfu.common.web import StyledFormMixin, get_or_404, paginate

from . import loading, selectors
from .schemas import FEED_CHOICES, display_value, feed_schema


class UploadForm(StyledFormMixin, forms.Form):
    feed = forms.ChoiceField(label=_("Feed"), choices=FEED_CHOICES)
    file = forms.FileField(label=_("Spreadsheet (.xlsx) or CSV file (UTF-8)"))


@login_required
@permission_required(loading.LOAD_PERMISSION, raise_exception=True)
def feed_list(request):
    return render(request, "feeds/feed_list.html", {"feeds": selectors.feeds_overview(user=request.user)})


@login_required
@permission_required(loading.LOAD_PERMISSION, raise_exception=True)
def batch_upload(request):
    form = UploadForm(request.POST or None, request.FILES or None, initial={"feed": request.GET.get("feed")})
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > settings.ZHONGFU_IMPORT_MAX_BYTES:
                raise loading.FeedRejected([{"row": None, "column": "", "message": str(loading.TOO_LARGE)}])
            batch = loading.feed_load(
                actor=request.user, feed=form.cleaned_data["feed"], name=upload.name, content=upload.read()
            )
        except loading.FeedRejected as e:
            context.update(rejected=e, file_name=upload.name)
            return render(request, "feeds/upload.html", context, status=400)
        messages.success(
            request,
            _g("%(file)s was loaded as version %(version)s (%(rows)s rows).")
            % {"file": batch.file_name, "version": batch.version, "rows": batch.row_count},
        )
        return redirect("feeds:batch_detail", batch_id=batch.pk)
    return render(request, "feeds/upload.html", context, status=400 if form.errors else 200)


@login_required
@permission_required(loading.LOAD_PERMISSION, raise_exception=True)
def batch_list(request, feed: str):
    try:
        schema = feed_schema(feed)
    except NotFound:
        raise Http404() from None
    page = paginate(request, selectors.batches_for_user(user=request.user, feed=feed))
    return render(request, "feeds/batch_list.html", {"schema": schema, "page": page})


@login_required
@permission_required(loading.LOAD_PERMISSION, raise_exception=True)
def batch_detail(request, batch_id: int):
    batch = get_or_404(selectors.batch_get_for_user, user=request.user, batch_id=batch_id)
    report = selectors.batch_report(user=request.user, batch=batch)
    columns = [c for c in report.schema.columns if c.type != "id_number"]
    unmatched = [
        (r["row"], r["id_number_masked"], [display_value(c, r["values"].get(c.key)) for c in columns])
        for r in report.unmatched
    ]
    context = {"batch": batch, "report": report, "columns": columns, "unmatched": unmatched}
    return render(request, "feeds/batch_detail.html", context)
