"""Policy and parameter pages: every page renders, the forms propose, the approvals queue decides, and
roles without the right get 403 (maker-checker holds on the pages too)."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from zhongfu.accounts.roles import Role
from zhongfu.policies import services
from zhongfu.policies.models import ParameterValue, Policy, PolicyVersion, Status

from .conftest import FIXTURES

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # messages asserted by their msgids
    return client


@pytest.fixture
def pending(catalogue, admin):
    value = services.parameter_value_propose(
        actor=admin, key="dibao.standard", start_date=dt.date(2025, 1, 1), value=140000, note="年度调整"
    )
    text = (FIXTURES / "dibao.yaml").read_text(encoding="utf-8").replace("period: monthly", "period: yearly")
    version = services.policy_version_propose(actor=admin, text=text, note="按年发放")
    return value, version


def test_every_page_renders_for_the_administrator(pending, admin):
    value, version = pending
    client = _client(admin)
    pages = [
        reverse("policies:policy_list"),
        reverse("policies:policy_detail", args=["dibao"]),
        reverse("policies:policy_propose", args=["dibao"]),
        reverse("policies:policy_retire", args=["marginal"]),
        reverse("policies:policy_new"),
        reverse("policies:version_detail", args=[version.pk]),
        reverse("policies:parameter_list"),
        reverse("policies:parameter_detail", args=["dibao.standard"]),
        reverse("policies:parameter_propose", args=["dibao.standard"]),
        reverse("policies:parameter_new"),
        reverse("policies:approvals"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
    list_page = client.get(reverse("policies:policy_list")).content.decode()
    assert "Minimum living guarantee (dibao)" in list_page and 'data-testid="pending-badge"' in list_page
    chinese = Client()
    chinese.force_login(admin)
    assert "最低生活保障（低保）" in chinese.get(reverse("policies:policy_list")).content.decode()
    assert reverse("policies:policy_list") in client.get(reverse("registry:household_list")).content.decode()
    detail = client.get(reverse("policies:policy_detail", args=["dibao"])).content.decode()
    assert "测试依据〔2023〕1号 第三条" in detail and "per_capita_income &lt; p.dibao.standard" in detail
    assert "monthly per-capita income" in detail
    # The proposal page shows what changes against the version in force.
    diff = client.get(reverse("policies:version_detail", args=[version.pk])).content.decode()
    assert "-period: monthly" in diff and "+period: yearly" in diff
    params = client.get(reverse("policies:parameter_list")).content.decode()
    assert "1,300.00" in params and "2024-01-01" in params and "测试依据〔2024〕1号" in params
    history = client.get(reverse("policies:parameter_detail", args=["dibao.standard"])).content.decode()
    assert "1,400.00" in history and "1,175.00" in history
    assert reverse("policies:policy_detail", args=["nope"]) and client.get("/policies/nope/").status_code == 404
    assert client.get("/policies/parameters/no.such/").status_code == 404


def test_propose_a_value_in_yuan_and_have_it_approved_by_another_admin(catalogue, admin, admin2):
    maker, checker = _client(admin), _client(admin2)
    url = reverse("policies:parameter_propose", args=["dibao.standard"])
    response = maker.post(url, {"start_date": "2025-07-01", "value": "1,400.50", "reference": "杭民发〔2025〕9号"})
    assert response.status_code == 302
    pv = ParameterValue.objects.get(status=Status.PROPOSED)
    assert pv.value == 140050 and pv.proposed_by == admin

    # The maker sees no approve button for their own proposal, and posting it is refused.
    queue = maker.get(reverse("policies:approvals")).content.decode()
    assert f'data-testid="decide-value-{pv.pk}"' in queue and 'data-testid="approve"' not in queue
    maker.post(reverse("policies:value_decide", args=[pv.pk, "approve"]))
    assert ParameterValue.objects.get(pk=pv.pk).status == Status.PROPOSED

    queue = checker.get(reverse("policies:approvals")).content.decode()
    assert 'data-testid="approve"' in queue
    response = checker.post(reverse("policies:value_decide", args=[pv.pk, "approve"]), {"note": "同意"}, follow=True)
    assert response.status_code == 200
    assert ParameterValue.objects.get(pk=pv.pk).status == Status.APPROVED


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"start_date": "", "value": "1400"}, "start_date", "date"),
        ({"start_date": "2025-01-01", "value": "0"}, "value", "greater than zero"),
        ({"start_date": "2025-01-01", "value": "-1300"}, "value", "greater than zero"),
        ({"start_date": "2025-01-01", "value": "abc"}, "value", "Not an amount of money"),
    ],
)
def test_value_form_errors_are_shown_next_to_the_field(catalogue, admin, data, field, words):
    response = _client(admin).post(reverse("policies:parameter_propose", args=["dibao.standard"]), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-testid="error-{field}"' in page and words in page
    assert not ParameterValue.objects.filter(status=Status.PROPOSED).exists()


def test_new_parameter_form(catalogue, admin):
    data = {
        "key": "local.winter_grant",
        "label_zh": "冬季慰问金",
        "unit": "fen",
        "start_date": "2025-11-01",
        "value": "500",
    }
    response = _client(admin).post(reverse("policies:parameter_new"), data)
    assert response.status_code == 302
    assert ParameterValue.objects.get(parameter__key="local.winter_grant").value == 50000


def test_policy_form_shows_the_variable_and_position_of_an_error(catalogue, admin):
    text = (
        (FIXTURES / "dibao.yaml")
        .read_text(encoding="utf-8")
        .replace("income_test && asset_test", "income_test && assets")
    )
    response = _client(admin).post(reverse("policies:policy_propose", args=["dibao"]), {"text": text})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="policy-error"' in page and "<code>eligible</code>" in page and "assets" in page
    assert PolicyVersion.objects.filter(status=Status.PROPOSED).count() == 0


def test_new_local_policy_through_the_pages(catalogue, admin, admin2):
    form = _client(admin).get(reverse("policies:policy_new")).content.decode()
    assert "code: local_example" in form
    text = (FIXTURES / "marginal.yaml").read_text(encoding="utf-8")
    text = text.replace("code: marginal", "code: summer_care").replace("displaced_by: [dibao]", "displaced_by: []")
    response = _client(admin).post(reverse("policies:policy_new"), {"text": text, "note": "夏季送清凉"})
    assert response.status_code == 302
    version = PolicyVersion.objects.get(policy__code="summer_care")
    assert Policy.objects.get(code="summer_care").is_local
    page = _client(admin2).get(reverse("policies:version_detail", args=[version.pk])).content.decode()
    assert 'data-testid="approve"' in page
    _client(admin2).post(reverse("policies:version_decide", args=[version.pk, "approve"]))
    assert PolicyVersion.objects.get(pk=version.pk).status == Status.APPROVED


def test_reject_needs_a_reason_on_the_page_too(pending, admin2):
    value, version = pending
    client = _client(admin2)
    response = client.post(reverse("policies:version_decide", args=[version.pk, "reject"]), {"note": ""}, follow=True)
    assert "This field is required." in response.content.decode()
    assert PolicyVersion.objects.get(pk=version.pk).status == Status.PROPOSED
    client.post(reverse("policies:version_decide", args=[version.pk, "reject"]), {"note": "无依据"})
    assert PolicyVersion.objects.get(pk=version.pk).status == Status.REJECTED
    # An unknown action or id is a 404, and `next` never leaves the site.
    assert client.post(reverse("policies:value_decide", args=[value.pk, "delete"])).status_code == 404
    assert client.post(reverse("policies:value_decide", args=[999999, "approve"])).status_code == 404
    response = client.post(
        reverse("policies:value_decide", args=[value.pk, "approve"]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("policies:approvals")


@pytest.mark.parametrize("role", [Role.COMMUNITY_WORKER, Role.DISTRICT_CASEWORKER, Role.AUDITOR, Role.UNIT_STAFF])
def test_staff_may_read_but_not_propose_or_approve(pending, users, role):
    value, version = pending
    client = _client(users[role])
    assert client.get(reverse("policies:policy_list")).status_code == 200
    assert client.get(reverse("policies:parameter_detail", args=["dibao.standard"])).status_code == 200
    page = client.get(reverse("policies:policy_detail", args=["dibao"])).content.decode()
    assert 'data-testid="propose-change"' not in page
    forbidden = [
        ("get", reverse("policies:policy_propose", args=["dibao"])),
        ("get", reverse("policies:policy_new")),
        ("get", reverse("policies:policy_retire", args=["dibao"])),
        ("get", reverse("policies:parameter_propose", args=["dibao.standard"])),
        ("get", reverse("policies:parameter_new")),
        ("get", reverse("policies:approvals")),
        ("post", reverse("policies:value_decide", args=[value.pk, "approve"])),
        ("post", reverse("policies:version_decide", args=[version.pk, "approve"])),
        ("post", reverse("policies:value_decide", args=[value.pk, "withdraw"])),
    ]
    for method, url in forbidden:
        assert getattr(client, method)(url).status_code == 403, url
    assert ParameterValue.objects.get(pk=value.pk).status == Status.PROPOSED


def test_charity_staff_see_no_policies(catalogue, users):
    client = _client(users[Role.CHARITY_STAFF])
    assert client.get(reverse("policies:policy_list")).status_code == 403
    assert client.get(reverse("policies:parameter_list")).status_code == 403


def test_demo_logins_include_a_second_administrator(db, capsys):
    call_command("demo_logins")
    out = capsys.readouterr().out
    assert "admin2" in out and "admin " in out
