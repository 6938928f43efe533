"""Parameters and policies: maker-checker, validation of values and policy files, history, the shipped
catalogue loader and the selectors the screening uses."""

import datetime as dt
import shutil

import pytest
from django.core.management import call_command

from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.common.errors import InvalidInput, NotFound, PermissionDenied
from zhongfu.policies import selectors, services, shipped
from zhongfu.policies.forms import NEW_POLICY_TEMPLATE
from zhongfu.policies.models import Parameter, ParameterValue, Policy, PolicyVersion, Status

from .conftest import FIXTURES

pytestmark = pytest.mark.django_db

D2025 = dt.date(2025, 1, 1)


def _propose(actor, value=140000, start=D2025, key="dibao.standard", **kw):
    return services.parameter_value_propose(actor=actor, key=key, start_date=start, value=value, **kw)


def _text(code="dibao", **replace) -> str:
    text = (FIXTURES / f"{code}.yaml").read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return text


# --- parameter values: maker-checker ------------------------------------------------------------


def test_a_proposed_value_is_in_force_only_after_another_admin_approves(catalogue, admin, admin2):
    before = selectors.parameter_set(D2025)["dibao.standard"].value
    assert before == 130000
    pv = _propose(admin, reference="杭民发〔2025〕1号", note="年度调整")
    assert pv.status == Status.PROPOSED and pv.proposed_by == admin
    assert selectors.parameter_set(D2025)["dibao.standard"].value == 130000
    assert [v.pk for v in selectors.pending_approvals().values] == [pv.pk]

    services.parameter_value_approve(actor=admin2, value_id=pv.pk, note="同意")
    pv.refresh_from_db()
    assert (pv.status, pv.decided_by, pv.decision_note) == (Status.APPROVED, admin2, "同意")
    assert pv.decided_at is not None
    params = selectors.parameter_set(D2025)
    assert params["dibao.standard"].value == 140000 and params["dibao.standard"].start == D2025
    # Before the start date the old value is still the one in force.
    assert selectors.parameter_set(dt.date(2024, 12, 31))["dibao.standard"].value == 130000
    assert selectors.pending_approvals().count == 0
    actions = list(
        AuditEntry.objects.filter(object_type="parameter_value", object_id=str(pv.pk)).values_list("action", flat=True)
    )
    assert actions == ["propose", "approve"]


def test_the_proposer_cannot_approve_or_reject_their_own_proposal(catalogue, admin):
    pv = _propose(admin)
    with pytest.raises(PermissionDenied) as e:
        services.parameter_value_approve(actor=admin, value_id=pv.pk)
    assert "another administrator" in str(e.value)
    with pytest.raises(PermissionDenied):
        services.parameter_value_reject(actor=admin, value_id=pv.pk, note="不行")
    pv.refresh_from_db()
    assert pv.status == Status.PROPOSED


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.CITY_ADMIN])
def test_only_city_administrators_propose_and_approve(catalogue, users, admin, role):
    with pytest.raises(PermissionDenied):
        _propose(users[role])
    pv = _propose(admin)
    with pytest.raises(PermissionDenied):
        services.parameter_value_approve(actor=users[role], value_id=pv.pk)
    with pytest.raises(PermissionDenied):
        services.parameter_value_reject(actor=users[role], value_id=pv.pk, note="x")
    assert ParameterValue.objects.get(pk=pv.pk).status == Status.PROPOSED


def test_reject_needs_a_note_and_keeps_the_proposal_in_the_history(catalogue, admin, admin2):
    pv = _propose(admin)
    with pytest.raises(InvalidInput) as e:
        services.parameter_value_reject(actor=admin2, value_id=pv.pk, note="  ")
    assert e.value.field == "note"
    services.parameter_value_reject(actor=admin2, value_id=pv.pk, note="依据未发布")
    pv.refresh_from_db()
    assert (pv.status, pv.decision_note, pv.decided_by) == (Status.REJECTED, "依据未发布", admin2)
    assert selectors.parameter_set(D2025)["dibao.standard"].value == 130000
    history = list(selectors.parameter_history(Parameter.objects.get(key="dibao.standard")))
    assert pv in history
    # A decided proposal cannot be decided again.
    with pytest.raises(InvalidInput):
        services.parameter_value_approve(actor=admin2, value_id=pv.pk)


def test_withdraw_only_by_the_proposer(catalogue, admin, admin2):
    pv = _propose(admin)
    with pytest.raises(PermissionDenied):
        services.parameter_value_withdraw(actor=admin2, value_id=pv.pk)
    services.parameter_value_withdraw(actor=admin, value_id=pv.pk)
    assert ParameterValue.objects.get(pk=pv.pk).status == Status.WITHDRAWN


def test_a_new_value_for_an_existing_start_date_supersedes_the_old_one(catalogue, admin, admin2):
    start = dt.date(2024, 1, 1)
    old = ParameterValue.objects.get(parameter__key="dibao.standard", start_date=start)
    pv = _propose(admin, value=131000, start=start, note="更正")
    services.parameter_value_approve(actor=admin2, value_id=pv.pk)
    old.refresh_from_db()
    assert old.status == Status.SUPERSEDED
    assert selectors.parameter_set(start)["dibao.standard"].value == 131000
    rows = ParameterValue.objects.filter(parameter__key="dibao.standard", start_date=start)
    assert sorted(rows.values_list("status", flat=True)) == [Status.APPROVED, Status.SUPERSEDED]


@pytest.mark.parametrize(
    ("key", "value", "field", "words"),
    [
        ("dibao.standard", 0, "value", "greater than zero"),
        ("dibao.standard", -130000, "value", "greater than zero"),
        ("dibao.standard", 1300.5, "value", "whole number of fen"),
        ("dibao.standard", "1300", "value", "number"),
        ("dibao.standard", True, "value", "number"),
        ("dibao.asset_months", 0, "value", "greater than zero"),
        ("dibao.asset_months", 1.5, "value", "whole number"),
        ("marginal.multiple", 0.0, "value", "greater than zero"),
        ("marginal.multiple", -1, "value", "greater than zero"),
        ("marginal.multiple", float("nan"), "value", "greater than zero"),
    ],
)
def test_bad_values_are_refused_naming_the_field(catalogue, admin, key, value, field, words):
    with pytest.raises(InvalidInput) as e:
        _propose(admin, key=key, value=value)
    assert e.value.field == field
    assert words in str(e.value)
    assert not ParameterValue.objects.filter(status=Status.PROPOSED).exists()


def test_a_value_needs_a_start_date(catalogue, admin):
    with pytest.raises(InvalidInput) as e:
        _propose(admin, start=None)
    assert e.value.field == "start_date"
    assert "date" in str(e.value)


def test_a_ratio_is_stored_as_a_decimal_and_money_as_integer_fen(catalogue, admin):
    ratio = _propose(admin, key="marginal.multiple", value=2)
    money = _propose(admin, value=140000.0)
    ratio.refresh_from_db()
    money.refresh_from_db()
    assert isinstance(ratio.value, float) and ratio.value == 2.0
    assert isinstance(money.value, int) and money.value == 140000


def test_unknown_parameter_is_not_found_and_a_new_one_needs_unit_and_label(catalogue, admin, admin2):
    with pytest.raises(NotFound):
        _propose(admin, key="local.winter_grant")
    with pytest.raises(InvalidInput) as e:
        _propose(admin, key="local.winter_grant", unit="fen")
    assert e.value.field == "label_zh"
    with pytest.raises(InvalidInput) as e:
        _propose(admin, key="Local.Bad-Key", unit="fen", label_zh="x")
    assert e.value.field == "key"
    for clash in ("dibao", "dibao.standard.extra"):
        with pytest.raises(InvalidInput) as e:
            _propose(admin, key=clash, unit="fen", label_zh="x")
        assert e.value.field == "key" and "clashes with the parameter dibao." in str(e.value)
    pv = _propose(admin, key="local.winter_grant", unit="fen", label_zh="冬季慰问金", value=50000)
    parameter = Parameter.objects.get(key="local.winter_grant")
    assert parameter.is_local and parameter.unit == "fen"
    # Not visible to the engine until approved.
    assert "local.winter_grant" not in selectors.parameter_specs()
    services.parameter_value_approve(actor=admin2, value_id=pv.pk)
    assert selectors.parameter_set(D2025)["local.winter_grant"].value == 50000


# --- policy versions ----------------------------------------------------------------------------


def test_a_policy_change_takes_effect_after_approval_and_history_is_kept(catalogue, admin, admin2):
    current = PolicyVersion.objects.get(policy__code="dibao", status=Status.APPROVED)
    assert current.proposed_by is None and current.note == "shipped"
    text = _text(**{"per_capita_income < p.dibao.standard": "per_capita_income <= p.dibao.standard"})
    version = services.policy_version_propose(actor=admin, text=text, note="收入等于标准也算")
    assert version.status == Status.PROPOSED
    assert (
        selectors.current_catalogue().policies["dibao"].variables["income_test"].expr
        == "per_capita_income < p.dibao.standard"
    )

    with pytest.raises(PermissionDenied):
        services.policy_version_approve(actor=admin, version_id=version.pk)
    services.policy_version_approve(actor=admin2, version_id=version.pk)
    current.refresh_from_db()
    version.refresh_from_db()
    assert current.status == Status.SUPERSEDED and version.status == Status.APPROVED
    assert (
        selectors.current_catalogue().policies["dibao"].variables["income_test"].expr
        == "per_capita_income <= p.dibao.standard"
    )
    assert [v.pk for v in selectors.policy_versions(version.policy)] == [version.pk, current.pk]
    # The plan follows without a restart (the cache is keyed by the database).
    assert selectors.plan_for(D2025).catalogue.policies["dibao"].version_hash == version.version_hash


def test_a_new_code_is_a_new_local_policy(catalogue, admin, admin2):
    text = _text("marginal", **{"code: marginal": "code: winter_care", "displaced_by: [dibao]": "displaced_by: []"})
    version = services.policy_version_propose(actor=admin, text=text, note="本地冬季关爱")
    policy = Policy.objects.get(code="winter_care")
    assert policy.is_local and version.policy == policy
    assert "winter_care" not in {d.code for d in selectors.current_policies()}
    services.policy_version_approve(actor=admin2, version_id=version.pk)
    assert "winter_care" in {d.code for d in selectors.current_policies()}
    assert selectors.policy_names()["winter_care"] == "Near-dibao household (marginal)"


@pytest.mark.parametrize(
    ("replace", "variable", "words"),
    [
        ({"expr: income_test && asset_test": "expr: income_test && assets_tset"}, "eligible", "assets_tset"),
        ({"expr: income_test && asset_test": "expr: __import__('os').system('id')"}, "eligible", ""),
        ({"expr: income_test && asset_test": "expr: income_test.__class__"}, "eligible", ""),
        (
            {"expr: monthly_income / size": "expr: monthly_income / size + p.dibao.no_such_key"},
            "per_capita_income",
            "no_such_key",
        ),
        ({"expr: income_test && asset_test": "expr: income_test && eligible"}, "eligible", ""),
    ],
)
def test_a_bad_policy_is_refused_naming_the_variable(catalogue, admin, replace, variable, words):
    versions = PolicyVersion.objects.count()
    with pytest.raises(services.PolicyInvalid) as e:
        services.policy_version_propose(actor=admin, text=_text(**replace))
    assert e.value.field == "text"
    assert e.value.error.variable == variable, str(e.value)
    assert variable in str(e.value) and words in str(e.value)
    assert e.value.error.column is not None
    assert PolicyVersion.objects.count() == versions


def test_a_change_breaking_another_policy_is_refused(catalogue, admin):
    # marginal reads dibao.asset_test: removing it breaks the catalogue, not the file.
    text = _text(**{"criteria: [income_test, asset_test]": "criteria: [income_test]"})
    text = text.replace(
        "  asset_test:\n    label: {zh: 财产条件, en: asset test}\n",
        "  asset_check:\n    label: {zh: 财产条件, en: asset test}\n",
    )
    text = text.replace("income_test && asset_test", "income_test && asset_check")
    with pytest.raises(services.PolicyInvalid) as e:
        services.policy_version_propose(actor=admin, text=text)
    assert "asset_test" in str(e.value) and "marginal" in str(e.value)


def test_yaml_and_unchanged_versions_are_refused(catalogue, admin):
    with pytest.raises(services.PolicyInvalid):
        services.policy_version_propose(actor=admin, text="code: [unclosed")
    with pytest.raises(InvalidInput) as e:
        services.policy_version_propose(actor=admin, text=_text())
    assert "version in force" in str(e.value)
    with pytest.raises(InvalidInput):
        services.policy_version_propose(actor=admin, text="   ")
    with pytest.raises(InvalidInput) as e:
        services.policy_version_propose(actor=admin, text=_text("marginal", **{"code: marginal": "code: approvals"}))
    assert "reserved" in str(e.value)


def test_retiring_a_policy(catalogue, admin, admin2):
    # dibao cannot go: marginal reads it.
    with pytest.raises(services.PolicyInvalid):
        services.policy_retire_propose(actor=admin, code="dibao", note="停止")
    version = services.policy_retire_propose(actor=admin, code="marginal", note="并入其他事项")
    services.policy_version_approve(actor=admin2, version_id=version.pk)
    assert "marginal" not in {d.code for d in selectors.current_policies()}
    row = selectors.policy_get("marginal")
    assert row.retired and row.definition is None


def test_reject_and_withdraw_policy_versions(catalogue, admin, admin2):
    text = _text(**{"period: monthly": "period: yearly"})
    version = services.policy_version_propose(actor=admin, text=text)
    with pytest.raises(InvalidInput):
        services.policy_version_propose(actor=admin, text=text)  # the same proposal twice
    with pytest.raises(InvalidInput):
        services.policy_version_reject(actor=admin2, version_id=version.pk, note="")
    services.policy_version_reject(actor=admin2, version_id=version.pk, note="无依据")
    assert PolicyVersion.objects.get(pk=version.pk).status == Status.REJECTED
    again = services.policy_version_propose(actor=admin, text=text)
    with pytest.raises(PermissionDenied):
        services.policy_version_withdraw(actor=admin2, version_id=again.pk)
    services.policy_version_withdraw(actor=admin, version_id=again.pk)
    assert PolicyVersion.objects.get(pk=again.pk).status == Status.WITHDRAWN


def test_approval_rechecks_the_catalogue(catalogue, admin, admin2):
    # Two proposals that are fine alone: marginal reading a new dibao variable, and dibao without it.
    new_dibao = _text(**{"criteria: [income_test, asset_test]": "criteria: [income_test, asset_test, size_test]"})
    new_dibao = new_dibao.replace("  eligible:\n", "  size_test:\n    expr: size > 0\n  eligible:\n")
    v1 = services.policy_version_propose(actor=admin, text=new_dibao)
    services.policy_version_approve(actor=admin2, version_id=v1.pk)
    marginal = _text("marginal", **{"income_test && dibao.asset_test": "income_test && dibao.size_test"})
    v2 = services.policy_version_propose(actor=admin, text=marginal)
    v3 = services.policy_version_propose(actor=admin, text=_text())  # dibao back to the shipped text
    services.policy_version_approve(actor=admin2, version_id=v3.pk)
    with pytest.raises(services.PolicyInvalid) as e:
        services.policy_version_approve(actor=admin2, version_id=v2.pk)
    assert "size_test" in str(e.value)
    assert PolicyVersion.objects.get(pk=v2.pk).status == Status.PROPOSED


# --- selectors ----------------------------------------------------------------------------------


def test_plan_for_with_overrides_applies_a_proposed_value(catalogue):
    plan = selectors.plan_for(D2025, overrides={"dibao.standard": 150000})
    assert plan.params["dibao.standard"].value == 150000
    assert selectors.plan_for(D2025).params["dibao.standard"].value == 130000
    assert selectors.plan_for(D2025) is selectors.plan_for(D2025)  # cached


def test_parameter_choices_and_version_texts(catalogue):
    choices = {key: (label, unit) for key, label, unit in selectors.parameter_choices()}
    assert choices["dibao.standard"] == ("dibao standard", "fen")
    current = PolicyVersion.objects.get(policy__code="dibao", status=Status.APPROVED)
    assert selectors.policy_version_texts([current.version_hash]) == {current.version_hash: current.text}


# --- the shipped catalogue ----------------------------------------------------------------------


def test_catalogue_sync_is_idempotent(catalogue):
    assert catalogue.policies_added == 2 and catalogue.versions_added == 2 and catalogue.values_added == 4
    counts = (ParameterValue.objects.count(), PolicyVersion.objects.count(), Parameter.objects.count())
    audit = AuditEntry.objects.count()
    again = services.catalogue_sync(directory=FIXTURES)
    shipped_entries = AuditEntry.objects.filter(reason="shipped", actor__isnull=True)
    assert shipped_entries.filter(object_type="policy_version").count() == 2
    assert shipped_entries.filter(object_type="parameter_value").count() == 4
    assert again.created == []
    assert (ParameterValue.objects.count(), PolicyVersion.objects.count(), Parameter.objects.count()) == counts
    assert AuditEntry.objects.count() == audit


def test_catalogue_sync_never_overrides_an_administrators_change(catalogue, admin, admin2, tmp_path):
    # An administrator changes dibao and the 2024 standard.
    changed = _text(**{"period: monthly": "period: yearly"})
    v = services.policy_version_propose(actor=admin, text=changed)
    services.policy_version_approve(actor=admin2, version_id=v.pk)
    pv = _propose(admin, value=131000, start=dt.date(2024, 1, 1))
    services.parameter_value_approve(actor=admin2, value_id=pv.pk)

    # A later release changes both policies, the 2024 value, and adds a 2025 value.
    release = tmp_path / "catalogue"
    shutil.copytree(FIXTURES, release)
    for name in ("dibao.yaml", "marginal.yaml"):
        path = release / name
        path.write_text(
            path.read_text(encoding="utf-8").replace("测试依据〔2023〕", "测试依据〔2025〕"), encoding="utf-8"
        )
    params = release / "parameters.yaml"
    text = params.read_text(encoding="utf-8").replace("{value: 130000,", "{value: 132000,")
    text = text.replace(
        "      2024-01-01: {value: 132000", "      2025-07-01: {value: 140000}\n      2024-01-01: {value: 132000"
    )
    params.write_text(text, encoding="utf-8")

    result = services.catalogue_sync(directory=release)
    # dibao stays as the administrator approved it; the release's version waits for approval.
    assert PolicyVersion.objects.get(policy__code="dibao", status=Status.APPROVED).pk == v.pk
    proposed = PolicyVersion.objects.get(policy__code="dibao", status=Status.PROPOSED)
    assert proposed.proposed_by is None and proposed.note == "shipped"
    # marginal was the system's: the release replaces it.
    marginal = PolicyVersion.objects.get(policy__code="marginal", status=Status.APPROVED)
    assert "〔2025〕" in marginal.text and marginal.decided_by is None
    assert (result.versions_added, result.versions_proposed, result.values_added) == (1, 1, 1)
    # The administrator's 2024 value stands; the new 2025 value is added.
    assert selectors.parameter_set(dt.date(2024, 6, 1))["dibao.standard"].value == 131000
    assert selectors.parameter_set(dt.date(2025, 7, 1))["dibao.standard"].value == 140000
    # Any administrator may approve the system's proposal (it is nobody's own).
    services.policy_version_approve(actor=admin, version_id=proposed.pk)
    assert services.catalogue_sync(directory=release).created == []


def test_a_broken_release_file_is_refused_and_writes_nothing(catalogue, tmp_path):
    release = tmp_path / "catalogue"
    shutil.copytree(FIXTURES, release)
    (release / "broken.yaml").write_text(_text(**{"code: dibao": "code: broken", "size": "sise"}), encoding="utf-8")
    counts = PolicyVersion.objects.count()
    with pytest.raises(shipped.CatalogueInvalid) as e:
        services.catalogue_sync(directory=release)
    assert "broken.yaml" in str(e.value)
    assert PolicyVersion.objects.count() == counts


def test_policies_sync_command(catalogue, capsys):
    call_command("policies", "sync", "--directory", str(FIXTURES))
    assert "values added: 0" in capsys.readouterr().out


def test_the_migration_loaded_the_shipped_catalogue(users):
    """Every shipped policy and parameter value is in the database the migrations built."""
    specs, policies = shipped.read()
    assert len(policies) >= 14
    for item in policies:
        assert PolicyVersion.objects.filter(
            policy__code=item.definition.code, version_hash=item.definition.version_hash
        ).exists(), item.filename
    for key, spec in specs.items():
        starts = set(ParameterValue.objects.filter(parameter__key=key).values_list("start_date", flat=True))
        assert {v.start for v in spec.values} <= starts, key
    # …and it holds together and plans with today's parameters.
    selectors.cache_clear()
    assert selectors.plan_for(dt.date.today()) is not None
    # The "new local policy" form's template is a valid proposal against it.
    version = services.policy_version_propose(actor=users[Role.CITY_ADMIN], text=NEW_POLICY_TEMPLATE)
    assert version.policy.is_local and version.policy.code == "local_example"
