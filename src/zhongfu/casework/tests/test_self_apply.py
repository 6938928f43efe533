"""The household applies by itself from its benefit list, in a session verified with its household code (an
SMS verification code): consent recorded, one case per policy, the household as the actor, a double submit
making one application, and a refusal without consent writing nothing."""

import re

import pytest
from django.urls import reverse

from conftest import member, new_id_number
from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.casework.models import Application, Case, CaseEvent, Channel, DeclaredRelation
from zhongfu.disclosure import services as disclosure_services
from zhongfu.disclosure import tokens
from zhongfu.disclosure.models import OutboxMessage

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


@pytest.fixture
def coded(make_household, users):
    """A poor household with the head's phone on record and an active household code: (household, token)."""
    household = make_household(
        members=[
            member("head", name="王建国", phone=PHONE, incomes={"wage": 20000}),
            member("child", id_number=new_id_number()),
        ]
    )
    code = disclosure_services.household_code_issue(actor=users[Role.CITY_ADMIN], household=household)
    return household, tokens.sign(code.token_id)


def _verify(client, token):
    """Verify the household code the way the household does: ask for a code, type the digits it got."""
    client.post(reverse("disclosure:send_code", args=[token]))
    digits = re.search(r"\b(\d{6})\b", OutboxMessage.objects.order_by("-id").first().text).group(1)
    response = client.post(reverse("disclosure:verify_code", args=[token]), {"digits": digits})
    assert response.status_code == 302


def _apply_url(token):
    return reverse("casework:self_apply", args=[token])


def _consent(**extra):
    return {"consent": "on", "consent_by": "王建国", **extra}


def test_unverified_session_is_sent_to_verification(client, coded, users):
    household, token = coded
    scan = reverse("disclosure:scan", args=[token])
    assert client.get(_apply_url(token))["Location"] == scan
    response = client.post(_apply_url(token), _consent())
    assert response.status_code == 302 and response["Location"] == scan
    assert not Application.objects.filter(household=household).exists()
    # Staff logged in do not apply through the household's page either.
    client.force_login(users[Role.COMMUNITY_WORKER])
    assert client.get(_apply_url(token))["Location"] == scan


def test_the_benefit_list_links_to_the_application_only_for_the_verified_household(client, coded, users):
    household, token = coded
    _verify(client, token)
    page = client.get(reverse("disclosure:household_benefits", args=[token])).content.decode()
    assert 'data-testid="self-apply-link"' in page and _apply_url(token) in page
    assert 'data-testid="self-appeal-link"' in page and reverse("casework:self_appeal", args=[token]) in page
    staff = client.__class__()
    staff.force_login(users[Role.COMMUNITY_WORKER])
    page = staff.get(reverse("disclosure:staff_benefits", args=[household.pk])).content.decode()
    assert 'data-testid="self-apply-link"' not in page and 'data-testid="self-appeal-link"' not in page


def test_verified_household_applies_with_consent(client, coded, users):
    household, token = coded
    _verify(client, token)
    page = client.get(_apply_url(token))
    text = page.content.decode()
    assert page.status_code == 200 and 'data-testid="self-apply-form"' in text
    assert 'data-testid="policy-dibao"' in text
    # Masked data only: the head's name masked, no ID number or phone.
    assert "王*" in text and "王建国" not in text and PHONE not in text
    staff = users[Role.STREET_CASEWORKER]
    response = client.post(_apply_url(token), _consent(**{f"relation_{staff.pk}": "户主的表弟"}))
    assert response.status_code == 200 and 'data-testid="self-applied"' in response.content.decode()

    application = Application.objects.get(household=household)
    assert application.channel == Channel.SELF_SERVICE and application.submitted_by is None
    assert application.consent_by == "王建国" and application.consent_at is not None
    assert application.consent_recorded_by is None
    policies = set(application.policies.values_list("policy_code", flat=True))
    cases = Case.objects.filter(application=application)
    assert "dibao" in policies and set(cases.values_list("policy_code", flat=True)) == policies
    assert cases.count() == len(policies)
    # The declared relationship keeps that worker off the cases, which need a county home visit.
    assert DeclaredRelation.objects.get(application=application).user == staff
    assert all(case.county_visit_required for case in cases)
    # The household is the actor in the audit log: the application and each case opened.
    entry = AuditEntry.objects.get(object_type="application", object_id=str(application.pk), action="create")
    assert entry.actor_id is None and entry.actor_name == disclosure_services.HOUSEHOLD_ACTOR
    assert entry.after["channel"] == "self_service" and entry.after["consent_by"] == "王建国"
    opened = AuditEntry.objects.filter(object_type="case", action="create", household_id=household.pk)
    assert opened.count() == cases.count()
    assert set(opened.values_list("actor_name", flat=True)) == {disclosure_services.HOUSEHOLD_ACTOR}
    assert not CaseEvent.objects.filter(case__in=cases, actor__isnull=False).exists()


def test_double_submit_makes_one_application_with_a_clear_message(client, coded):
    household, token = coded
    _verify(client, token)
    assert client.post(_apply_url(token), _consent()).status_code == 200
    cases = Case.objects.count()
    again = client.post(_apply_url(token), _consent())
    text = again.content.decode()
    assert again.status_code == 400
    assert 'data-testid="self-apply-error"' in text and 'data-testid="open-application"' in text
    number = Application.objects.get(household=household).number
    assert number in again.context["form"].non_field_errors()[0] and number in text
    assert Application.objects.filter(household=household).count() == 1 and Case.objects.count() == cases
    # Coming back later, the page says an application is in progress and offers no second one.
    page = client.get(_apply_url(token)).content.decode()
    assert 'data-testid="open-application"' in page and 'data-testid="self-apply-form"' not in page


@pytest.mark.parametrize("data", [{"consent_by": "王建国"}, {"consent": "on", "consent_by": "  "}, {}])
def test_no_consent_is_a_clear_error_and_nothing_is_written(client, coded, data):
    household, token = coded
    _verify(client, token)
    entries = AuditEntry.objects.count()
    response = client.post(_apply_url(token), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors.get("consent") or form.errors.get("consent_by")
    text = response.content.decode()
    assert 'data-testid="consent-error"' in text or 'data-testid="consent-by-error"' in text
    assert not Application.objects.filter(household=household).exists() and not Case.objects.exists()
    assert AuditEntry.objects.count() == entries


def test_the_page_is_in_chinese_by_default(client, coded):
    household, token = coded
    _verify(client, token)
    # No language asked for: the page is served in the default language, zh-Hans.
    text = client.get(_apply_url(token)).content.decode()
    assert '<html lang="zh-hans">' in text


# --- the household's own appeal ---------------------------------------------------------------------------


def _refuse(case, users, monkeypatch):
    """Take a case through the steps and refuse it (services, as the workers would)."""
    import datetime as dt

    from django.utils import timezone

    from zhongfu.casework import services

    from .test_workflow_services import act, to_decision

    case = to_decision(case, users)
    today = case.notice_ends_on + dt.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: today)
    case = act(
        services.case_decide, case, users[Role.DISTRICT_CASEWORKER], approve=False, reasons="家庭人均收入高于低保标准"
    )
    return act(services.case_record_notification, case, users[Role.STREET_CASEWORKER], method="书面告知理由")


def test_the_household_appeals_a_refusal_by_itself(client, coded, users, monkeypatch):
    import datetime as dt

    from django.utils import timezone

    from zhongfu.casework.models import Appeal

    household, token = coded
    url = reverse("casework:self_appeal", args=[token])
    assert client.get(url)["Location"] == reverse("disclosure:scan", args=[token])
    _verify(client, token)
    page = client.get(url).content.decode()
    assert 'data-testid="nothing-to-appeal"' in page
    assert 'data-testid="self-appeal-link"' in client.get(_apply_url(token)).content.decode()

    client.post(_apply_url(token), _consent())
    case = _refuse(Case.objects.get(household=household, policy_code="dibao"), users, monkeypatch)
    page = client.get(url).content.decode()
    assert f'data-testid="self-appeal-form-{case.number}"' in page and "家庭人均收入高于低保标准" in page
    data = {"case_id": case.pk, "expected_version": case.version}
    response = client.post(url, data | {"grounds": "不服"})
    assert response.status_code == 400 and 'data-testid="grounds-error"' in response.content.decode()
    assert not Appeal.objects.exists()
    response = client.post(url, data | {"grounds": "家中有重病患者，医疗支出未计入"})
    assert response.status_code == 302
    appeal = Appeal.objects.get(case=case)
    assert (appeal.channel, appeal.lodged_by, appeal.outcome) == ("self_service", None, "pending")
    entry = AuditEntry.objects.filter(object_type="case", object_id=str(case.pk)).order_by("-seq").first()
    assert entry.after["event"] == "appeal_lodge" and entry.actor_name == disclosure_services.HOUSEHOLD_ACTOR
    page = client.get(url).content.decode()
    assert 'data-testid="appeal-status"' in page and f'data-testid="self-appeal-form-{case.number}"' not in page
    # A second send (the old form) changes nothing.
    assert client.post(url, data | {"grounds": "家中有重病患者，医疗支出未计入"}).status_code == 400
    assert Appeal.objects.count() == 1
    # After the limit the form is gone, and a post is refused with the last day.
    Appeal.objects.all().delete()
    ends_on = case.step_started_on + dt.timedelta(days=60)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: ends_on + dt.timedelta(days=1))
    case.refresh_from_db()
    page = client.get(url).content.decode()
    assert 'data-testid="appeal-closed"' in page and f'data-testid="self-appeal-form-{case.number}"' not in page
    response = client.post(
        url, {"case_id": case.pk, "expected_version": case.version, "grounds": "家中有重病患者，医疗支出未计入"}
    )
    assert response.status_code == 400 and ends_on.isoformat() in response.content.decode()


def test_a_household_cannot_appeal_another_households_case(client, coded, dibao):
    household, token = coded
    _verify(client, token)
    url = reverse("casework:self_appeal", args=[token])
    response = client.post(
        url, {"case_id": dibao.pk, "expected_version": dibao.version, "grounds": "家中有重病患者，医疗支出未计入"}
    )
    assert response.status_code == 404


def test_the_household_reads_why_it_was_contacted(client, coded, users):
    """PIPL Art. 24: the stored explanation of a warning, on the household's own list, without the score."""
    from zhongfu.monitoring.warning_services import discovery_report

    household, token = coded
    discovery_report(
        actor=users[Role.COMMUNITY_WORKER], tier="orange", seen="老人独居，冬季无取暖设备", household_id=household.pk
    )
    _verify(client, token)
    page = client.get(reverse("disclosure:household_benefits", args=[token])).content.decode()
    assert 'data-testid="contacted"' in page and "老人独居，冬季无取暖设备" in page and "个人信息保护法" in page
