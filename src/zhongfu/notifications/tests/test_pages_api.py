"""The bell, the list page and the API: one's own notifications only, in the reader's language, and the
email sent after the commit through Django's email backend."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.translation import gettext_noop

from zhongfu.accounts.roles import Role
from zhongfu.notifications.models import Notification
from zhongfu.notifications.services import notify

pytestmark = pytest.mark.django_db


def _tell(user, n=1, link="/casework/cases/"):
    return [
        notify(
            [user],
            f"test_{i}",
            gettext_noop("Case %(number)s approved"),
            gettext_noop("No notifications."),
            link=link,
            object_type="case",
            object_id=i,
            params={"number": f"AJ{i:04d}"},
        )[0]
        for i in range(n)
    ]


def test_the_bell_counts_unread_and_is_empty_for_a_visitor(users, client):
    assert client.get(reverse("notifications:badge")).content == b""
    street = users[Role.STREET_CASEWORKER]
    client.force_login(street)
    assert 'data-testid="unread-count"' not in client.get(reverse("notifications:badge")).content.decode()
    _tell(street, 3)
    bell = client.get(reverse("notifications:badge")).content.decode()
    assert 'data-testid="unread-count">3<' in bell
    # Every page of a logged-in user polls the bell.
    assert reverse("notifications:badge") in client.get(reverse("notifications:list")).content.decode()


def test_list_in_chinese_open_marks_read_and_goes_to_the_link(users, client):
    street = users[Role.STREET_CASEWORKER]
    first, second = _tell(street, 2)
    client.force_login(street)
    page = client.get(reverse("notifications:list")).content.decode()
    assert "案件 AJ0000 已批准" in page and "2 条未读" in page and ">查看</button>" in page
    response = client.post(reverse("notifications:read", args=[first.pk]), {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/casework/cases/"
    first.refresh_from_db()
    assert first.read_at is not None
    client.post(reverse("notifications:read_all"))
    second.refresh_from_db()
    assert second.read_at is not None


def test_a_link_off_the_site_is_never_followed(users, client):
    street = users[Role.STREET_CASEWORKER]
    (n,) = _tell(street, link="//evil.example/steal")
    client.force_login(street)
    response = client.post(reverse("notifications:read", args=[n.pk]), {"open": "1"})
    assert response["Location"] == reverse("notifications:list")


def test_someone_elses_notification_is_not_found_on_pages_and_api(users, client):
    (theirs,) = _tell(users[Role.DISTRICT_CASEWORKER])
    client.force_login(users[Role.STREET_CASEWORKER])
    assert client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    assert client.post(f"/api/notifications/{theirs.pk}/read").status_code == 404
    assert client.get("/api/notifications").json() == {"unread": 0, "items": []}
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_api_lists_reads_and_reads_all_in_the_requests_language(users, client):
    street = users[Role.STREET_CASEWORKER]
    first, _second = _tell(street, 2)
    client.force_login(street)
    body = client.get("/api/notifications", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["unread"] == 2 and {i["title"] for i in body["items"]} == {
        "Case AJ0000 approved",
        "Case AJ0001 approved",
    }
    zh = client.get("/api/notifications?unread=true", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert "案件 AJ0000 已批准" in {i["title"] for i in zh["items"]}
    read = client.post(f"/api/notifications/{first.pk}/read").json()
    assert read["read_at"] is not None
    assert client.get("/api/notifications?unread=true").json()["unread"] == 1
    assert client.post("/api/notifications/read-all").json() == {"marked": 1}
    assert client.get("/api/notifications?unread=true").json()["items"] == []


def test_email_goes_after_the_commit_in_the_recipients_language(users, django_capture_on_commit_callbacks):
    street = users[Role.STREET_CASEWORKER]
    street.email = "street@example.test"
    street.save(update_fields=["email"])
    without_address = users[Role.COMMUNITY_WORKER]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(
            [street, without_address],
            "test_email",
            gettext_noop("Case %(number)s approved"),
            gettext_noop("No notifications."),
            link="/casework/cases/1/",
            params={"number": "AJ0001"},
        )
    assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["street@example.test"]
    assert "AJ0001" in mail.outbox[0].subject and "/casework/cases/1/" in mail.outbox[0].body
    assert Notification.objects.get(recipient=street).emailed_at is not None
    assert Notification.objects.get(recipient=without_address).emailed_at is None
