"""Feeds through the API and the pages: push and upload, rejections with the report and nothing written,
who may load, and the scope of a batch's report (unmatched rows for city-level users only)."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from conftest import OUT_COMMUNITY, member, new_id_number
from zhongfu.accounts.roles import Role
from zhongfu.accounts.services import api_token_create
from zhongfu.feeds.loading import feed_push
from zhongfu.feeds.models import FeedBatch, FeedRecord

MEDICAL = "身份证号,姓名,结算日期,个人自付(元)"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user, name='test')}", HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def people(make_household):
    inside, outside = new_id_number(), new_id_number(county="330109")
    make_household(members=[member(id_number=inside)])
    make_household(community=OUT_COMMUNITY, members=[member(id_number=outside)])
    return inside, outside


@pytest.fixture
def batch(users, people):
    inside, outside = people
    stranger = new_id_number(county="330110")
    rows = [{"id_number": i, "settled_on": "2025-03-31", "out_of_pocket": "38000"} for i in (inside, outside, stranger)]
    return feed_push(actor=users[Role.CITY_ADMIN], feed="medical_insurance", rows=rows), stranger


def test_push_rows_as_json(users, people):
    rows = [{"身份证号": people[0], "结算日期": "2025-03-31", "个人自付(元)": 38000.5, "重特大疾病": "是"}]
    r = api(users[Role.CITY_ADMIN]).post(
        "/api/feeds/medical_insurance/batches",
        json.dumps({"rows": rows, "name": "push"}),
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["version"], body["source"], body["matched_count"], body["file_name"]) == (1, "api", 1, "push")
    assert FeedRecord.objects.get().values["out_of_pocket"] == 3_800_050


def test_upload_a_file_through_the_api_and_read_the_batch(users, people):
    content = f"{MEDICAL}\n{people[0]},张三,2025-03-31,100\n".encode()
    client = api(users[Role.CITY_ADMIN])
    r = client.post("/api/feeds/medical_insurance/batches", {"file": SimpleUploadedFile("m.csv", content)})
    assert r.status_code == 201, r.content
    batch_id = r.json()["id"]
    listed = client.get("/api/feeds/medical_insurance/batches").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == batch_id
    feeds = {f["key"]: f for f in client.get("/api/feeds").json()}
    assert feeds["medical_insurance"]["latest_batch"]["id"] == batch_id
    assert feeds["vehicles"]["latest_batch"] is None and len(feeds) == 9
    assert client.get(f"/api/feeds/batches/{batch_id}").json()["unmatched"] == []


def test_a_rejected_push_lists_every_fault_and_writes_nothing(users, people):
    rows = [
        {"id_number": people[0][:17] + ("0" if people[0][17] != "0" else "1"), "settled_on": "2025-03-31"},
        {"id_number": people[1], "settled_on": "someday", "out_of_pocket": "x", "colour": "red"},
    ]
    r = api(users[Role.CITY_ADMIN]).post(
        "/api/feeds/medical_insurance/batches", json.dumps({"rows": rows}), content_type="application/json"
    )
    assert r.status_code == 422
    body = r.json()
    # The unknown column stops the reading of cells: it is the whole report.
    assert body["errors"] == [{"row": 1, "column": "colour", "message": body["errors"][0]["message"]}]
    assert "Nothing was loaded" in body["detail"]
    del rows[1]["colour"]
    r = api(users[Role.CITY_ADMIN]).post(
        "/api/feeds/medical_insurance/batches", json.dumps({"rows": rows}), content_type="application/json"
    )
    assert {(e["row"], e["column"]) for e in r.json()["errors"]} == {
        (1, "身份证号"),
        (1, "个人自付(元)"),
        (2, "结算日期"),
        (2, "个人自付(元)"),
    }
    assert not FeedBatch.objects.exists()


def test_the_same_file_twice_is_refused_naming_the_batch(users, people):
    content = f"{MEDICAL}\n{people[0]},张三,2025-03-31,100\n".encode()
    client = api(users[Role.CITY_ADMIN])
    first = client.post("/api/feeds/medical_insurance/batches", {"file": SimpleUploadedFile("m.csv", content)})
    assert first.status_code == 201
    again = client.post("/api/feeds/medical_insurance/batches", {"file": SimpleUploadedFile("again.csv", content)})
    assert again.status_code == 422
    assert f"batch {first.json()['id']}" in again.json()["detail"] and "version 1" in again.json()["detail"]
    assert FeedBatch.objects.count() == 1 and FeedRecord.objects.count() == 1


def test_errors_of_the_request(users):
    client = api(users[Role.CITY_ADMIN])
    assert client.get("/api/feeds/nonsense/batches").status_code == 404
    assert client.get("/api/feeds/batches/999999").status_code == 404
    r = client.post("/api/feeds/vehicles/batches", json.dumps({"rows": "x"}), content_type="application/json")
    assert r.status_code == 422 and r.json()["field"].startswith("rows")
    assert client.post("/api/feeds/vehicles/batches", "not json", content_type="application/json").status_code == 400
    r = client.post("/api/feeds/vehicles/batches", {"other": "x"})
    assert r.status_code == 422 and r.json()["field"] == "file"
    assert Client().get("/api/feeds").status_code == 401


def test_only_those_who_may_import_load_or_read_feeds(users, people):
    rows = json.dumps({"rows": [{"id_number": people[0], "settled_on": "2025-03-31", "out_of_pocket": "1"}]})
    for role in (Role.COMMUNITY_WORKER, Role.UNIT_STAFF, Role.AUDITOR, Role.CHARITY_STAFF):
        client = api(users[role])
        assert (
            client.post("/api/feeds/medical_insurance/batches", rows, content_type="application/json").status_code
            == 403
        )
        assert client.get("/api/feeds").status_code == 403
    assert not FeedBatch.objects.exists()


def test_the_report_shows_unmatched_rows_to_the_city_only(users, batch):
    b, stranger = batch
    city = api(users[Role.CITY_ADMIN]).get(f"/api/feeds/batches/{b.pk}").json()
    assert [u["id_number_masked"] for u in city["unmatched"]] == [stranger[:6] + "********" + stranger[-4:]]
    assert {d["code"]: d["matched"] for d in city["districts"]} == {"330106": 1, "330109": 1}
    district = api(users[Role.DISTRICT_CASEWORKER]).get(f"/api/feeds/batches/{b.pk}").json()
    assert district["unmatched"] is None
    assert {d["code"]: d["matched"] for d in district["districts"]} == {"330106": 1}
    assert district["matched_in_scope"] == 1
    assert stranger not in json.dumps(city) and stranger not in json.dumps(district)


def test_pages_list_upload_reject_with_400_and_report(users, people, batch):
    b, stranger = batch
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(users[Role.CITY_ADMIN])
    assert "medical_insurance" in client.get("/feeds/").content.decode()
    bad = f"{MEDICAL}\n{people[0]},张三,2025-02-30,100\n".encode()
    r = client.post("/feeds/upload/", {"feed": "medical_insurance", "file": SimpleUploadedFile("bad.csv", bad)})
    assert r.status_code == 400
    assert r.context["rejected"].errors == [
        {"row": 2, "column": "结算日期", "message": r.context["rejected"].errors[0]["message"]}
    ]
    assert FeedBatch.objects.count() == 1
    good = f"{MEDICAL}\n{people[0]},张三,2025-02-28,100\n".encode()
    r = client.post("/feeds/upload/", {"feed": "medical_insurance", "file": SimpleUploadedFile("good.csv", good)})
    assert r.status_code == 302 and FeedBatch.objects.count() == 2
    page = client.get(r.url).content.decode()
    assert "good.csv" in page
    page = client.get(f"/feeds/batches/{b.pk}/").content.decode()
    assert stranger[:6] + "********" + stranger[-4:] in page and stranger not in page
    assert client.get("/feeds/medical_insurance/").status_code == 200
    assert client.get("/feeds/nonsense/").status_code == 404


def test_a_district_user_sees_no_unmatched_rows_on_the_page(users, batch):
    b, stranger = batch
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(users[Role.DISTRICT_CASEWORKER])
    r = client.get(f"/feeds/batches/{b.pk}/")
    assert r.status_code == 200
    assert r.context["unmatched"] == [] and stranger[-4:] not in r.content.decode()
    community = Client()
    community.force_login(users[Role.COMMUNITY_WORKER])
    assert community.get(f"/feeds/batches/{b.pk}/").status_code == 403
    assert community.get("/feeds/").status_code == 403
