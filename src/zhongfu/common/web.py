"""Small helpers shared by the views of every app."""

from django import forms
from django.core.paginator import Paginator
from django.http import Http404

from .errors import DomainError, NotFound


def form_add_domain_error(form: forms.BaseForm, error: DomainError, *, prefix: str = "") -> None:
    """Show a domain error next to the field it names, or above the form."""
    field = (error.field or "").removeprefix(prefix)
    if field in form.fields:
        form.add_error(field, str(error))
    else:
        form.add_error(None, str(error))


def form_errors_text(form: forms.BaseForm) -> str:
    """Every error of a form in one line, for a message shown above a page whose form is not re-rendered."""
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def get_or_404(fn, **kwargs):
    """Call a selector; an out-of-scope record is a 404 exactly like a missing one."""
    try:
        return fn(**kwargs)
    except NotFound:
        raise Http404() from None


def paginate(request, queryset, per_page: int = 25):
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(request.GET.get("page"))


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


class StyledFormMixin:
    """Gives every widget Bootstrap's classes, so templates can render fields as they are."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            widget = f.widget
            if getattr(widget, "input_type", "") == "radio":
                continue  # the browser's own radio buttons beside their labels; Bootstrap's classes float them
            if getattr(widget, "input_type", "") == "checkbox":
                widget.attrs.setdefault("class", "form-check-input")
            elif widget.__class__.__name__ == "Select":
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")
