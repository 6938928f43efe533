"""One application → one case per policy, routed to its unit and level, with its procedure kept."""

import pytest

from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.casework.models import Application, Case, CaseEvent, CaseStatus, Step
from zhongfu.casework.services import ApplicationAlreadyOpen, application_submit_all_eligible
from zhongfu.policies import selectors as policy_selectors
from zhongfu.workdays.selectors import add_working_days

pytestmark = pytest.mark.django_db


def test_one_case_per_policy_routed_to_unit_and_level(application):
    lines = list(application.policies.all())
    cases = list(application.cases.order_by("number"))
    assert len(cases) == len(lines) >= 2
    catalogue = policy_selectors.current_catalogue()
    for case in cases:
        line = case.line
        policy = catalogue.policies[case.policy_code]
        assert (case.policy_code, case.amount_fen) == (line.policy_code, line.determination.amount_fen)
        assert (case.unit, case.deciding_level) == (policy.unit, policy.deciding_level)
        assert case.household_id == application.household_id
        assert (case.step, case.status, case.version) == (Step.ACCEPTANCE, CaseStatus.OPEN, 1)
        assert case.number.startswith("AJ") and case.number[2:].startswith(application.number[2:])
        # The acceptance limit is counted in working days; the overall limit starts at acceptance.
        assert case.step_due_on == add_working_days(case.opened_on, 5) == case.next_due_on
        assert case.due_on is None
        assert case.events.get().action == "open"
    dibao = application.cases.get(policy_code="dibao")
    assert dibao.procedure["steps"][:2] == ["acceptance", "financial_check"]
    assert dibao.procedure["overall"] == 30 and dibao.procedure["extension"] == 45
    entries = AuditEntry.objects.filter(object_type="case")
    assert entries.count() == len(cases)
    assert {e.household_id for e in entries} == {application.household_id}
    assert {e.region_code for e in entries} == {application.household.region_id}


def test_double_submission_gives_one_application_and_one_case_per_policy(application, users, poor):
    before = (Application.objects.count(), Case.objects.count(), CaseEvent.objects.count())
    with pytest.raises(ApplicationAlreadyOpen):
        application_submit_all_eligible(actor=users[Role.COMMUNITY_WORKER], household=poor)
    assert (Application.objects.count(), Case.objects.count(), CaseEvent.objects.count()) == before
    assert Case.objects.count() == application.policies.count()


def test_double_click_on_the_page_makes_one_case_per_policy(poor, users, client):
    client.force_login(users[Role.COMMUNITY_WORKER])
    client.post(f"/casework/households/{poor.pk}/apply-all/")
    client.post(f"/casework/households/{poor.pk}/apply-all/")
    application = Application.objects.get()
    assert Case.objects.count() == application.policies.count()


def test_declared_relation_flags_county_visit(poor, users):
    related = users[Role.STREET_CASEWORKER]
    application = application_submit_all_eligible(
        actor=users[Role.COMMUNITY_WORKER], household=poor, declared_relations=[(related, "户主之妹")]
    )
    assert application.declared_relations.get().user == related
    assert all(application.cases.values_list("county_visit_required", flat=True))


def test_backfill_migration_opens_cases_for_old_applications(application):
    from importlib import import_module

    from django.apps import apps

    from zhongfu.casework.models import ApplicationPolicy

    migration = import_module("zhongfu.casework.migrations.0003_backfill_cases_and_append_only_events")
    # An application from before cases existed: lines and no case.
    old = Application.objects.create(
        number="SQ2020010100000101", household=application.household, channel="worker", screening=application.screening
    )
    for d in application.screening.determinations.filter(outcome=1)[:2]:
        ApplicationPolicy.objects.create(
            application=old,
            policy_code=d.policy_code,
            determination=d,
            amount_fen=d.amount_fen,
            period=d.period,
            unit="civil_affairs",
            deciding_level="district",
        )
    before = Case.objects.filter(application=application).count()
    migration.backfill(apps, None)
    migration.backfill(apps, None)  # running it again opens nothing more
    cases = list(Case.objects.filter(application=old).order_by("number"))
    assert [c.number for c in cases] == ["AJ202001010000010101", "AJ202001010000010102"]
    assert all(
        c.step == Step.ACCEPTANCE and c.procedure["version"].startswith(("default", c.policy_code)) for c in cases
    )
    assert all(c.events.get().data["backfilled"] for c in cases)
    assert Case.objects.filter(application=application).count() == before
