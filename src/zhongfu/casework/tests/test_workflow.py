"""workflow.yaml: dated versions, per-policy overrides merged onto the default, validation that fails loudly."""

import datetime as dt

import pytest

from zhongfu.casework.workflow import WorkflowConfigError, step_due, workflow_config, workflow_parse

BASE = """
default:
  - valid_from: 2021-07-01
    steps: [acceptance, financial_check, home_survey, community_review, public_notice, decision, notification]
    step_limits:
      acceptance: {working_days: 5}
      public_notice: {calendar_days: 7}
    overall: {working_days: 30}
    extension: {working_days: 45}
    on_objection: home_survey
    appeal: {calendar_days: 60}
  - valid_from: 2026-01-01
    steps: [acceptance, financial_check, home_survey, community_review, public_notice, decision, notification]
    step_limits:
      acceptance: {working_days: 3}
      public_notice: {calendar_days: 7}
    overall: {working_days: 25}
    extension: {working_days: 40}
    on_objection: home_survey
    appeal: {calendar_days: 60}
"""


def test_shipped_file_is_valid_and_skips_steps_per_policy():
    config = workflow_config()
    day = dt.date(2026, 11, 23)
    dibao = config.procedure_for("dibao", day)
    assert dibao.steps[0] == "acceptance" and "public_notice" in dibao.steps
    assert (dibao.overall, dibao.extension) == (30, 45)
    assert dibao.step_limits["public_notice"] == {"calendar_days": 7}
    assert dibao.step_limits["notification"] == {"working_days": 3}
    emergency = config.procedure_for("temporary_aid_emergency", day)
    assert "public_notice" not in emergency.steps and emergency.on_objection is None
    assert config.procedure_for("care_visits", day).steps == ["acceptance", "decision", "notification"]
    # An override naming only the notice keeps the rest of the default.
    expenditure = config.procedure_for("temporary_aid_expenditure", day)
    assert expenditure.step_limits["public_notice"] == {"calendar_days": 5}
    assert expenditure.steps == dibao.steps and expenditure.overall == 30
    # The time limit to appeal a decision is dated configuration too, and overrides inherit it.
    assert dibao.appeal == {"calendar_days": 60} == emergency.appeal
    assert dibao.as_json()["appeal"] == {"calendar_days": 60}


def test_the_version_in_force_on_the_day():
    config = workflow_parse(BASE)
    assert config.procedure_for("dibao", dt.date(2025, 12, 31)).overall == 30
    assert config.procedure_for("dibao", dt.date(2026, 1, 1)).overall == 25
    assert config.procedure_for("dibao", dt.date(2026, 1, 1)).version == "default@2026-01-01"


def test_override_is_merged_with_the_default_of_its_day():
    text = (
        BASE
        + """
policies:
  dibao:
    - valid_from: 2026-06-01
      overall: {working_days: 20}
      extension: {working_days: 30}
"""
    )
    config = workflow_parse(text)
    assert config.procedure_for("dibao", dt.date(2026, 5, 31)).overall == 25
    june = config.procedure_for("dibao", dt.date(2026, 6, 1))
    assert (june.overall, june.extension, june.version) == (20, 30, "dibao@2026-06-01")
    assert june.step_limits["acceptance"] == {"working_days": 3}


@pytest.mark.parametrize(
    "change, message",
    [
        (("steps: [acceptance, financial_check", "steps: [financial_check, acceptance"), "order"),
        (("steps: [acceptance, financial_check", "steps: [acceptance, teleport"), "unknown steps"),
        (("overall: {working_days: 30}", "overall: {working_days: -1}"), "positive"),
        (("extension: {working_days: 45}", "extension: {working_days: 10}"), "shorter"),
        (
            (
                "public_notice: {calendar_days: 7}\n    overall: {working_days: 30}",
                "public_notice: {calendar_days: 7, working_days: 7}\n    overall: {working_days: 30}",
            ),
            "exactly one",
        ),
        (
            ("on_objection: home_survey\n    appeal", "on_objection: decision\n    appeal"),
            "before the public notice",
        ),
        (("valid_from: 2026-01-01", "valid_from: 2021-07-01"), "its own valid_from"),
        (("    appeal: {calendar_days: 60}\n  - valid_from", "  - valid_from"), "appeal is required"),
        (("appeal: {calendar_days: 60}", "appeal: {calendar_days: 0}"), "appeal: give exactly one"),
    ],
)
def test_invalid_files_are_refused_with_the_place(change, message):
    old, new = change
    assert old in BASE
    with pytest.raises(WorkflowConfigError, match=message):
        workflow_parse(BASE.replace(old, new, 1))


def test_a_bad_override_fails_at_load():
    text = (
        BASE
        + """
policies:
  dibao:
    - valid_from: 2026-06-01
      steps: [decision]
"""
    )
    with pytest.raises(WorkflowConfigError, match="dibao@2026-06-01"):
        workflow_parse(text)


@pytest.mark.django_db
def test_limits_count_working_days_and_calendar_days():
    from zhongfu.workdays.models import CalendarDay

    procedure = workflow_config().procedure_for("dibao", dt.date(2026, 11, 23)).as_json()
    friday = dt.date(2026, 11, 27)
    # 5 working days from a Friday: Mon–Fri of the next week.
    assert step_due(procedure, "acceptance", friday) == dt.date(2026, 12, 4)
    CalendarDay.objects.create(date=dt.date(2026, 12, 1), kind="holiday", name="test")
    from zhongfu.workdays.selectors import calendar_changed

    calendar_changed()
    try:
        assert step_due(procedure, "acceptance", friday) == dt.date(2026, 12, 7)
        # The notice counts calendar days: holidays and weekends included.
        assert step_due(procedure, "public_notice", friday) == dt.date(2026, 12, 4)
    finally:
        calendar_changed()
