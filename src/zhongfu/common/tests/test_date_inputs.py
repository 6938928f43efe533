"""A browser's date input takes only ISO dates (2026-11-23). Django renders a date in the active language's
format (2026/11/23 in Chinese), which the input rejects and shows empty, so a preset date is lost and the user
is told the date is required. Every date input of every form must therefore render ISO dates."""

import datetime as dt
import importlib
import inspect
import pkgutil

import pytest
from django import forms
from django.utils import translation

import zhongfu


def _form_classes():
    for info in pkgutil.iter_modules(zhongfu.__path__):
        try:
            module = importlib.import_module(f"zhongfu.{info.name}.forms")
        except ModuleNotFoundError:
            continue
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                yield cls


def test_there_are_forms_to_check():
    assert sum(1 for _ in _form_classes()) > 20


@pytest.mark.parametrize("form_class", list(_form_classes()), ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_date_input_renders_iso_dates(form_class):
    for name, field in form_class.base_fields.items():
        widget = field.widget
        if getattr(widget, "input_type", "") != "date":
            continue
        with translation.override("zh-hans"):
            html = widget.render(name, dt.date(2026, 11, 3))
        assert 'value="2026-11-03"' in html, f"{form_class.__name__}.{name}: {html}"
