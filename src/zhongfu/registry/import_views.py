"""Pages of the household import: upload, the error report, the template. Thin: the work is
`importing.household_import`; the last error report is kept in the session for download."""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

from zhongfu.common.web import StyledFormMixin

from . import importing

SESSION_KEY = "registry_import_report"
# Rows of the report kept in the session for download, and shown on the page.
REPORT_MAX = 10_000
PAGE_MAX = 500


class ImportForm(StyledFormMixin, forms.Form):
    file = forms.FileField(label=_("Spreadsheet (.xlsx) or CSV file (UTF-8)"))


def _xlsx_response(content: bytes, file_name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=importing.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, file_name)
    return response


@login_required
@permission_required(importing.IMPORT_PERMISSION, raise_exception=True)
def household_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {"form": form, "max_bytes": settings.ZHONGFU_IMPORT_MAX_BYTES}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > settings.ZHONGFU_IMPORT_MAX_BYTES:
            result = importing.file_too_large(file_name=upload.name, size=upload.size)
        else:
            result = importing.household_import(actor=request.user, file_name=upload.name, data=upload.read())
        request.session.pop(SESSION_KEY, None)
        if result.ok:
            return render(request, "registry/import_done.html", {"result": result})
        errors = [e.as_list() for e in result.errors]
        request.session[SESSION_KEY] = {"file": result.file_name, "errors": errors[:REPORT_MAX]}
        context.update(result=result, errors=errors[:PAGE_MAX], error_count=len(errors), page_max=PAGE_MAX)
    return render(request, "registry/import.html", context)


@login_required
@permission_required(importing.IMPORT_PERMISSION, raise_exception=True)
def import_template(request):
    return _xlsx_response(importing.template_xlsx(), "家庭成员导入模板.xlsx")


@login_required
@permission_required(importing.IMPORT_PERMISSION, raise_exception=True)
def import_report(request):
    """The error report of the user's last import that failed, as a workbook."""
    report = request.session.get(SESSION_KEY)
    if not report:
        raise Http404()
    return _xlsx_response(importing.errors_xlsx(report["errors"]), "导入错误报告.xlsx")
