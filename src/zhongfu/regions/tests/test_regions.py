import pytest
from django.urls import reverse

from zhongfu.accounts.roles import Role
from zhongfu.regions.models import IssuingCode, Level, Region
from zhongfu.regions.selectors import issuing_code_exists, region_path, region_search, region_within
from zhongfu.regions.services import regions_load

pytestmark = pytest.mark.django_db

HANGZHOU_DISTRICTS = set(
    "上城区 拱墅区 西湖区 滨江区 萧山区 余杭区 富阳区 临安区 临平区 钱塘区 ".split() + ["桐庐县", "淳安县", "建德市"]
)


def test_hangzhou_tree_is_loaded_from_mca_data():
    assert set(Region.objects.filter(level=Level.DISTRICT).values_list("name", flat=True)) == HANGZHOU_DISTRICTS
    streets = Region.objects.filter(level=Level.STREET)
    assert streets.count() > 150
    assert all(len(s.code) == 9 and s.parent_id == s.code[:6] for s in streets)
    communities = Region.objects.filter(level=Level.COMMUNITY)
    assert all(len(c.code) == 12 and c.parent_id == c.code[:9] for c in communities[:500])
    assert Region.objects.get(code="330106").full_name == "杭州市西湖区"
    # Streets named 镇/乡 are rural, 街道 urban.
    assert all(s.is_rural != s.name.endswith("街道") for s in streets)


def test_loading_again_changes_nothing():
    before = Region.objects.count(), IssuingCode.objects.count()
    assert regions_load(city_code="330100")["created"] == 0
    assert (Region.objects.count(), IssuingCode.objects.count()) == before


def test_found_by_code_prefix():
    west_lake = region_within("330106")
    assert west_lake.filter(level=Level.STREET).count() == Region.objects.filter(parent_id="330106").count()
    assert all(r.code.startswith("330106") for r in west_lake)
    community = Region.objects.filter(level=Level.COMMUNITY, code__startswith="330106").first()
    assert [r.code for r in region_path(community)] == [community.code[:6], community.code[:9], community.code]
    assert region_search(prefix="330106", query="330108").count() == 0  # 滨江区 is outside that scope


def test_issuing_codes_include_abolished_and_other_provinces():
    assert issuing_code_exists("330103")  # 下城区, abolished 2021
    assert issuing_code_exists("340102")  # 合肥市瑶海区
    assert issuing_code_exists("330113") and issuing_code_exists("330114")
    assert not issuing_code_exists("990101")


def test_region_pages_are_scoped(client, users):
    client.force_login(users[Role.STREET_CASEWORKER])
    street = users[Role.STREET_CASEWORKER].region_id
    response = client.get(reverse("regions:browse"))
    assert response.status_code == 200
    codes = [r.code for r, *_ in response.context["rows"]]
    assert codes and all(code.startswith(street) for code in codes)
    assert client.get(reverse("regions:browse_code", args=["330108"])).status_code == 404
    found = client.get(reverse("regions:browse"), {"q": "3301"}).context["found"]
    assert found and all(r.code.startswith(street) for r in found)
