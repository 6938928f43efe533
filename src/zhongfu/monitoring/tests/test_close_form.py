"""The close form's outcome choices stay clickable: the radios are the browser's own, beside their labels.

Bootstrap's form-check-input floats a radio out of its label when it is not inside a .form-check wrapper,
which Django's RadioSelect does not render: the labels then collapsed to one character per line and the
next field's label lay over the radios (found by tests/e2e/test_monitoring_journey.py)."""

from zhongfu.monitoring.forms import WarningCloseForm
from zhongfu.monitoring.models import WarningOutcome


def test_outcome_radios_are_plain_and_labelled():
    html = str(WarningCloseForm()["outcome"])
    assert "form-check-input" not in html
    for value, _label in WarningOutcome.choices:
        assert f'value="{value}"' in html
    assert html.count("<label") == len(WarningOutcome.choices)
