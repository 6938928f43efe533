"""Fixtures of the payments tests: households with cases approved through the casework services, payee
accounts, and a month to pay."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from conftest import OUT_COMMUNITY, member, new_id_number
from zhongfu.accounts.models import User
from zhongfu.accounts.roles import Role
from zhongfu.casework import services as case_services
from zhongfu.casework.models import Case, CaseStatus
from zhongfu.payments import services
from zhongfu.registry.models import Membership


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the msgids); the Chinese is the translators' concern."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def act(fn, case, actor, **kw):
    case = Case.objects.get(pk=case.pk)
    return fn(actor=actor, case=case, expected_version=case.version, **kw)


def approve(case, users, monkeypatch) -> Case:
    """Take a case through the casework services to an approval and its notification (as the casework tests
    do), with today moved past the notice and put back afterwards."""
    street, community = users[Role.STREET_CASEWORKER], users[Role.COMMUNITY_WORKER]
    district, admin = users[Role.DISTRICT_CASEWORKER], users[Role.CITY_ADMIN]
    in_scope = case.household.region_id.startswith(street.region_id)
    if in_scope:
        worker, surveyor, decider = street, community, district
    else:
        # Outside the street's scope the city administrators act; the one who surveys does not decide.
        surveyor, _ = User.objects.get_or_create(
            username="t_city_admin_surveyor", defaults={"role": Role.CITY_ADMIN, "region": admin.region}
        )
        worker, decider = admin, admin
    steps = case.procedure.get("steps", [])
    act(case_services.case_accept, case, worker)
    if "financial_check" in steps:
        act(case_services.case_record_financial_check, case, worker, department={"monthly_income": 20000})
    if "home_survey" in steps:
        act(case_services.case_record_home_survey, case, surveyor, living_conditions="两室一厅，家具简陋")
    if "community_review" in steps:
        act(case_services.case_record_review, case, worker, outcome="agreed", minutes="评议小组7人，一致同意")
    if "public_notice" in steps:
        case = act(case_services.case_publish_notice, case, worker)
        later = case.notice_ends_on + dt.timedelta(days=1)
        with monkeypatch.context() as m:
            m.setattr(timezone, "localdate", lambda *a, **k: later)
            act(case_services.case_decide, case, decider, approve=True)
    else:
        act(case_services.case_decide, case, decider, approve=True)
    case = act(case_services.case_record_notification, case, worker, method="书面通知，户主签收")
    assert case.status == CaseStatus.APPROVED and case.payment_from
    return case


@pytest.fixture
def poor_household(make_household):
    def make(community=None, name="王建国"):
        kw = {"community": community} if community else {}
        return make_household(
            members=[member("head", name=name, incomes={"wage": 20000}), member("child", id_number=new_id_number())],
            **kw,
        )

    return make


@pytest.fixture
def approved_case(poor_household, users, monkeypatch):
    """make(policy="dibao", community=None, account=True): an approved case of a new poor household."""

    def make(policy="dibao", community=None, account=True):
        household = poor_household(community)
        application = case_services.application_submit_all_eligible(
            actor=users[Role.CITY_ADMIN], household=household, consent_by="户主"
        )
        case = approve(application.cases.get(policy_code=policy), users, monkeypatch)
        if account:
            record_account(household, users[Role.CITY_ADMIN])
        return case

    return make


def record_account(household, actor, number="6222021202001234567", bank="中国工商银行杭州分行"):
    head = Membership.objects.filter(household=household, end_date__isnull=True, relation="head").first()
    return services.payee_account_record(
        actor=actor, household=household, payee_id=head.person_id, bank_name=bank, account_number=number
    )


@pytest.fixture
def out_community():
    return OUT_COMMUNITY


def month_after(case) -> dt.date:
    return case.payment_from
