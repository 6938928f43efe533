"""Donors' inquiries: due on received + the rule's days (20 shipped, data with a validity date); officers see
open, due today and overdue lists; an answer closes it and the donor reads it through the signed trace link,
and only through it; an answer carrying a recipient's personal data is refused; overdue questions notify the
unit's bookkeepers once a day; unit scope and permissions."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from conftest import member
from zhongfu.accounts.models import Unit, User
from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.common.errors import InvalidInput, PermissionDenied
from zhongfu.funds import inquiries, services, tokens
from zhongfu.funds.models import Inquiry, InquiryRule
from zhongfu.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _client(user=None) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def gift(keeper, unit, today):
    return services.donation_record_offline(
        actor=keeper, unit=unit, amount_fen=100000, channel="transfer", received_on=today - dt.timedelta(days=60)
    )


@pytest.fixture
def other_keeper(regions):
    other = Unit.objects.create(code="union-xh", name="总工会", kind=Unit.Kind.FEDERATION, region=regions["district"])
    return User.objects.create(username="t_other", role=Role.UNIT_STAFF, region=regions["district"], unit=other)


def test_the_due_date_follows_the_rule_valid_on_the_day_received(keeper, gift, today):
    assert InquiryRule.objects.get().days == 20  # shipped by the migration
    received = today - dt.timedelta(days=3)
    asked = inquiries.inquiry_record(
        actor=keeper, donation=gift, channel="phone", question="钱用到哪里了？", received_on=received
    )
    assert asked.due_on == received + dt.timedelta(days=20)
    InquiryRule.objects.create(days=15, valid_from=today - dt.timedelta(days=1), source="new local rule")
    assert inquiries.due_date(today) == today + dt.timedelta(days=15)
    assert inquiries.due_date(today - dt.timedelta(days=2)) == today + dt.timedelta(days=18)  # the old rule
    with pytest.raises(InvalidInput) as err:
        inquiries.inquiry_record(
            actor=keeper, donation=gift, channel="online", question="钱用到哪里了？", received_on=today
        )
    assert err.value.field == "channel"
    with pytest.raises(InvalidInput):
        inquiries.inquiry_record(
            actor=keeper,
            donation=gift,
            channel="letter",
            question="钱用到哪里了？",
            received_on=today + dt.timedelta(days=1),
        )
    assert AuditEntry.objects.filter(object_type="donor_inquiry", action="create").count() == 1


def test_lists_figures_and_the_daily_notification_of_overdue(keeper, unit, gift, today, other_keeper):
    def ask(days_ago):
        return inquiries.inquiry_record(
            actor=keeper,
            donation=gift,
            channel="letter",
            question="请问善款的用途？",
            received_on=today - dt.timedelta(days=days_ago),
        )

    overdue, due_today, fresh, answered = ask(25), ask(20), ask(1), ask(10)
    inquiries.inquiry_answer(actor=keeper, inquiry=answered, answer="已拨付至春风助学项目。")
    ids = lambda qs: [i.pk for i in qs]  # noqa: E731
    assert ids(inquiries.inquiries_of(unit, "overdue")) == [overdue.pk]
    assert ids(inquiries.inquiries_of(unit, "today")) == [due_today.pk]
    assert ids(inquiries.inquiries_of(unit, "open")) == [overdue.pk, due_today.pk, fresh.pk]
    assert ids(inquiries.inquiries_of(unit, "answered")) == [answered.pk]
    figures = inquiries.inquiry_figures(unit)
    assert {k: figures[k] for k in ("received", "on_time", "late", "open", "overdue", "due_today")} == {
        "received": 4,
        "on_time": 1,
        "late": 0,
        "open": 3,
        "overdue": 1,
        "due_today": 1,
    }
    # The daily job tells the unit's bookkeepers (not another unit's), once a day.
    call_command("inquiries_overdue")
    call_command("inquiries_overdue")
    notes = Notification.objects.filter(kind="inquiries_overdue")
    assert [n.recipient_id for n in notes] == [keeper.pk]
    assert notes.get().params == {"n": 1}
    assert f"/funds/units/{unit.pk}/inquiries/?due=overdue" == notes.get().link
    page = _client(keeper).get(f"/funds/units/{unit.pk}/inquiries/?due=overdue").content.decode()
    assert f'data-testid="inquiry-{overdue.pk}"' in page and f'data-testid="inquiry-{fresh.pk}"' not in page
    # Answered late counts as late.
    inquiries.inquiry_answer(actor=keeper, inquiry=overdue, answer="抱歉回复晚了：已用于助学。")
    assert inquiries.inquiry_figures(unit)["late"] == 1


def test_a_donor_asks_and_reads_the_answer_only_through_the_signed_link(keeper, unit, gift, today):
    token = tokens.sign(gift.pk)
    donor = _client()
    page = donor.get(f"/funds/trace/{token}/")
    assert page.status_code == 200 and 'data-testid="ask-form"' in page.content.decode()
    sent = donor.post(f"/funds/trace/{token}/ask/", {"question": "我的捐款帮助了谁？"})
    assert sent.status_code == 302 and sent["Location"] == f"/funds/trace/{token}/"
    inquiry = Inquiry.objects.get()
    assert (inquiry.channel, inquiry.received_on, inquiry.due_on) == ("online", today, today + dt.timedelta(days=20))
    assert inquiry.recorded_by is None
    # A forged or altered link asks nothing and shows nothing.
    assert donor.post(f"/funds/trace/{token}x/ask/", {"question": "我的捐款帮助了谁？"}).status_code == 404
    assert donor.get(f"/funds/trace/{gift.pk}/").status_code == 404
    assert Inquiry.objects.count() == 1
    assert donor.post(f"/funds/trace/{token}/ask/", {"question": "?"}).status_code == 400
    # The officer answers on the question's page; the donor reads it on the trace page.
    answer = "您的捐款已拨付春风助学，资助了张*同学的学费。"
    officer = _client(keeper)
    assert officer.post(f"/funds/inquiries/{inquiry.pk}/", {"answer": answer}).status_code == 302
    answered_page = officer.get(f"/funds/inquiries/{inquiry.pk}/").content.decode()
    assert 'data-testid="answer-text"' in answered_page and 'data-testid="answer-form"' not in answered_page
    assert officer.get(f"/funds/units/{unit.pk}/inquiries/new/?donation={gift.pk}").status_code == 200
    text = donor.get(f"/funds/trace/{token}/").content.decode()
    assert answer in text and 'data-testid="inquiry-answer"' in text
    # The officers' trace page (not the link) is not where donors ask.
    assert 'data-testid="ask-form"' not in officer.get(f"/funds/donations/{gift.pk}/trace/").content.decode()
    with pytest.raises(InvalidInput, match="already answered"):
        inquiries.inquiry_answer(actor=keeper, inquiry=inquiry, answer="再次回答一遍。")
    # The form on the trace page carries its CSRF token, as a real browser needs it.
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(f"/funds/trace/{token}/").content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    url = f"/funds/trace/{token}/ask/"
    assert browser.post(url, {"question": "善款何时用完？"}).status_code == 403
    assert browser.post(url, {"question": "善款何时用完？", "csrfmiddlewaretoken": csrf}).status_code == 302
    # A flood of open questions from one link is held back.
    for _n in range(inquiries.MAX_OPEN_ONLINE - 1):
        inquiries.inquiry_ask(donation=gift, question="还有一个问题。")
    with translation.override("en"), pytest.raises(InvalidInput, match="waiting for an answer"):
        inquiries.inquiry_ask(donation=gift, question="还有一个问题。")


def test_an_answer_with_a_recipients_personal_data_is_refused(keeper, unit, gift, today, education, make_household):
    fund, budget = education
    household = make_household(members=[member(name="李小明")])
    gift_edu = services.donation_record_offline(
        actor=keeper, unit=unit, amount_fen=50000, channel="cash", received_on=today, account=fund
    )
    services.allocation_record(actor=keeper, from_account=fund, to_account=budget, amount_fen=50000, date=today)
    services.disbursement_record(actor=keeper, account=budget, household=household, amount_fen=20000, date=today)
    inquiry = inquiries.inquiry_record(
        actor=keeper, donation=gift_edu, channel="phone", question="钱给了谁？", received_on=today
    )
    for answer, shown in (
        ("资助了李小明同学。", "李**"),
        ("联系电话13812345678。", "138****5678"),
        ("身份证330106200001011234。", "330106********1234"),
    ):
        with pytest.raises(InvalidInput) as err:
            inquiries.inquiry_answer(actor=keeper, inquiry=inquiry, answer=answer)
        assert shown in str(err.value) and err.value.field == "answer"
    inquiry.refresh_from_db()
    assert inquiry.is_open
    inquiries.inquiry_answer(actor=keeper, inquiry=inquiry, answer="资助了李**同学，用于学费。")
    assert inquiries.inquiries_for_donor(gift_edu)[0]["answer"] == "资助了李**同学，用于学费。"
    # What is shown masks numbers even in text stored before any check.
    assert inquiries.mask_text("电话13812345678") == "电话138****5678"


def test_unit_scope_and_permissions(keeper, unit, gift, today, other_keeper, users):
    inquiry = inquiries.inquiry_record(
        actor=keeper, donation=gift, channel="visit", question="想了解善款用途。", received_on=today
    )
    with pytest.raises(PermissionDenied):
        inquiries.inquiry_answer(actor=other_keeper, inquiry=inquiry, answer="不是本单位的回答。")
    with pytest.raises(PermissionDenied):
        inquiries.inquiry_record(
            actor=users[Role.STREET_CASEWORKER],
            donation=gift,
            channel="visit",
            question="想了解善款用途。",
            received_on=today,
        )
    other = _client(other_keeper)
    assert other.get(f"/funds/inquiries/{inquiry.pk}/").status_code == 404
    assert other.post(f"/funds/inquiries/{inquiry.pk}/", {"answer": "不是本单位的回答。"}).status_code == 404
    assert other.get(f"/funds/units/{unit.pk}/inquiries/").status_code == 404
    # Another unit cannot record a question on this unit's gift through its own page.
    response = other.post(
        f"/funds/units/{other_keeper.unit_id}/inquiries/new/",
        {"donation": gift.pk, "channel": "phone", "received_on": today.isoformat(), "question": "想了解善款用途。"},
    )
    assert response.status_code == 400 and Inquiry.objects.count() == 1
    caseworker = _client(users[Role.STREET_CASEWORKER])
    assert caseworker.get(f"/funds/units/{unit.pk}/inquiries/").status_code == 403
    assert caseworker.get(f"/funds/inquiries/{inquiry.pk}/").status_code == 403
    mine = _client(keeper)
    assert mine.get(f"/funds/inquiries/{inquiry.pk}/").status_code == 200
    created = mine.post(
        f"/funds/units/{unit.pk}/inquiries/new/",
        {"donation": gift.pk, "channel": "letter", "received_on": today.isoformat(), "question": "来信询问善款用途。"},
    )
    assert created.status_code == 302 and Inquiry.objects.count() == 2
