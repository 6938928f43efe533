"""A synthetic city, deterministic by seed. Pure: produces rows, writes nothing.

Figures follow DOMAIN_RULES: Hangzhou per-capita disposable income (urban 74,700, rural 42,692 yuan
a year), a few percent low-income households, about 6% of people with a disability, vehicles,
homes and company roles. ID numbers carry the person's real birth date and a county code of the
district they were born in (or of another province, for residents without local hukou).
"""

import datetime as dt
import math
import random
from bisect import bisect, bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field

from zhongfu.common.identifiers import uscc_check_char

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国"
    "建华志强海燕婷雪梅鑫宇浩然子涵欣怡梓轩雨桐佳琪晨阳思远"
)
# Households per district, relative (resident population, 2023 yearbook order of magnitude).
DISTRICT_WEIGHTS = {
    "330102": 1.3,
    "330105": 1.2,
    "330106": 1.2,
    "330108": 0.6,
    "330109": 2.0,
    "330110": 1.3,
    "330111": 0.8,
    "330112": 0.6,
    "330113": 1.1,
    "330114": 0.8,
    "330122": 0.45,
    "330127": 0.45,
    "330182": 0.45,
}
# Provinces that send most migrants to Hangzhou: county codes for residents without local hukou.
MIGRANT_CODES = ("340102", "340321", "341221", "360121", "361128", "410522", "411522", "421122", "512021", "520304")
STREET_NAMES = (
    "文一路 文二路 文三路 教工路 学院路 古翠路 莫干山路 湖墅南路 凤起路 庆春路 解放路 延安路 建国路 秋涛路 "
    "江南大道 滨盛路 市心路 金城路 文化路 临平大道 迎宾路 金家渡路 富春路 桐君街 新安大街 严州大道".split()
)
# GB 11643 check digit, computed from per-part weighted sums: the same digits as identifiers.make_id_number
# (a test holds the two equal), at a fraction of the cost for millions of people.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(c) * w for c, w in zip(digits, weights, strict=True))


_SEQUENCES = tuple((f"{s:03d}", _weighted(f"{s:03d}", _ID_WEIGHTS[14:])) for s in range(1000))
SIZE_WEIGHTS = ((1, 20), (2, 30), (3, 27), (4, 14), (5, 7), (6, 2))
_SIZES = tuple(s for s, _ in SIZE_WEIGHTS)
_SIZE_CUM = tuple(sum(w for _, w in SIZE_WEIGHTS[: i + 1]) for i in range(len(SIZE_WEIGHTS)))
DISABILITY_CATEGORIES = ("physical", "physical", "visual", "hearing", "intellectual", "mental", "speech", "multiple")
DISABILITY_GRADES = (1, 2, 3, 3, 4, 4)
COMPANY_ROLES = ("legal_representative", "manager", "shareholder")
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
DIBAO_STANDARD_FEN = 130_000  # the shipped default; the policy engine owns the dated value
MINIMUM_WAGE_FEN = 249_000


@dataclass
class PersonRow:
    name: str
    id_number: str
    birth_date: dt.date
    sex: str
    relation: str
    phone: str = ""
    labour_capacity: str = "full"
    disability_category: str = ""
    disability_grade: int | None = None
    serious_illness: bool = False
    elderly_living_alone: bool = False
    child_in_difficulty: bool = False
    school_enrolment: str = ""
    incomes: dict[str, int] = field(default_factory=dict)


@dataclass
class AssetRow:
    kind: str
    value_fen: int
    description: str = ""
    owner_index: int | None = None
    floor_area_m2: int | None = None
    acquired_on: dt.date | None = None
    is_exempt_vehicle: bool = False
    company_uscc: str = ""
    company_role: str = ""


@dataclass
class HouseholdRow:
    number: str
    region_code: str
    address: str
    area_type: str
    hukou_type: str
    assistance_class: str
    members: list[PersonRow]
    assets: list[AssetRow]
    expenses: list[tuple[str, int, int, int | None]]  # kind, year, annual fen, member index


class CityGenerator:
    """Generates households for the given communities. `communities` maps code → is_rural.

    Speed matters (a million households are generated in minutes), so the draws go through `self._below`,
    the integer source behind random.Random's randrange, randint and choice: `randint(a, b)` is written
    `a + below(b - a + 1)`, `randrange(a, b, step)` is `a + step * below(ceil((b - a) / step))` and
    `choice(seq)` is `seq[below(len(seq))]`, which draw exactly the same numbers (a test holds them equal)
    without the argument checking."""

    def __init__(self, communities: dict[str, bool], *, seed: int = 2026, today: dt.date | None = None):
        self.rng = random.Random(seed)
        self._below = self.rng._randbelow
        self._random = self.rng.random
        self.today = today or dt.date(2026, 1, 1)
        # First 17 digits (as int) of every ID number handed out: no two people share a number.
        self.used_ids: set[int] = set()
        self._county_sums: dict[str, int] = {}
        self._birth_parts: dict[dt.date, tuple[str, int]] = {}
        self._year_starts: dict[int, int] = {}
        codes = sorted(communities)
        weights = [DISTRICT_WEIGHTS.get(c[:6], 0.5) for c in codes]
        # Divide each district's weight among its communities so big districts are not diluted.
        per_district: dict[str, int] = {}
        for c in codes:
            per_district[c[:6]] = per_district.get(c[:6], 0) + 1
        self.communities = codes
        self.rural = communities
        self.cum_weights = []
        total = 0.0
        for c, w in zip(codes, weights, strict=True):
            total += w / per_district[c[:6]]
            self.cum_weights.append(total)
        self.sequence: dict[str, int] = {}

    # --- people ----------------------------------------------------------------------------
    def _name(self, surname: str | None = None) -> str:
        below = self._below
        surname = surname or SURNAMES[below(len(SURNAMES))]
        if self._random() < 0.25:
            return surname + GIVEN[below(len(GIVEN))]
        first = GIVEN[below(len(GIVEN))]
        return surname + first + GIVEN[below(len(GIVEN))]

    def _birth(self, age: int) -> dt.date:
        year = self.today.year - age - 1
        start = self._year_starts.get(year)
        if start is None:
            start = self._year_starts[year] = dt.date(year, 1, 1).toordinal()
        return dt.date.fromordinal(start + self._below(365))

    def _id(self, county: str, birth: dt.date, sex: str) -> tuple[str, dt.date]:
        """A unique ID number, drawn like identifiers.make_id_number(county, birth, seq, sex) from a random seq,
        and the birth date it carries: the next day's, should every sequence number of the day be taken."""
        county_sum = self._county_sums.get(county)
        if county_sum is None:
            county_sum = self._county_sums[county] = _weighted(county[:6], _ID_WEIGHTS[:6])
        birth_part = self._birth_parts.get(birth)
        if birth_part is None:
            digits = f"{birth:%Y%m%d}"
            birth_part = self._birth_parts[birth] = (digits, _weighted(digits, _ID_WEIGHTS[6:14]))
        prefix = county[:6] + birth_part[0]
        base_sum = county_sum + birth_part[1]
        seq = self._below(1000)
        male = sex == "M"
        used = self.used_ids
        for _ in range(1000):
            if (seq % 2 == 1) != male:  # the sequence digit's parity is the sex, as in make_id_number
                seq = (seq + 1) % 1000
            digits, seq_sum = _SEQUENCES[seq]
            first17 = prefix + digits
            key = int(first17)
            if key not in used:
                used.add(key)
                return first17 + _ID_CHECK[(base_sum + seq_sum) % 11], birth
            seq = (seq + 2) % 1000
        return self._id(county, birth + dt.timedelta(days=1), sex)

    def _phone(self) -> str:
        below = self._below
        return f"1{'35789'[below(5)]}{below(10**9):09d}"

    def _person(
        self, *, age: int, sex: str, relation: str, surname: str | None, county: str, rural: bool, poor: bool
    ) -> PersonRow:
        below, r = self._below, self._random
        birth = self._birth(age)
        name = self._name(surname)
        id_number, birth = self._id(county, birth, sex)
        p = PersonRow(
            name=name,
            id_number=id_number,
            birth_date=birth,
            sex=sex,
            relation=relation,
        )
        if relation == "head" or r() < 0.5 and age >= 16:
            p.phone = self._phone()
        if r() < (0.12 if poor else 0.055):
            p.disability_category = DISABILITY_CATEGORIES[below(8)]
            p.disability_grade = DISABILITY_GRADES[below(6)]
        if r() < (0.08 if poor else 0.018):
            p.serious_illness = True
        if age >= 70 or (p.disability_grade in (1, 2)) or p.serious_illness and r() < 0.5:
            p.labour_capacity = "none" if age >= 75 or p.disability_grade == 1 else "partial"
        elif age < 16:
            p.labour_capacity = "none"
        elif age >= 60:
            p.labour_capacity = "partial"
        if age < 3:
            pass
        elif age <= 5:
            p.school_enrolment = "preschool"
        elif age <= 11:
            p.school_enrolment = "primary"
        elif age <= 14:
            p.school_enrolment = "junior"
        elif age <= 17:
            p.school_enrolment = "vocational" if r() < 0.15 else "senior"
        elif age <= 22 and r() < 0.55:
            p.school_enrolment = "higher"
        # Income, monthly fen.
        if p.school_enrolment or age < 16:
            pass
        elif age >= 60:
            base = 60_000 if rural else 380_000
            p.incomes["pension"] = int(base * self.rng.uniform(0.5, 1.4) * (0.3 if poor else 1))
        elif p.labour_capacity != "none":
            median = 450_000 if rural else 820_000
            wage = int(math.exp(self.rng.gauss(math.log(median), 0.45)))
            if poor:
                wage = int(wage * self.rng.uniform(0.0, 0.25))
            if p.labour_capacity == "partial":
                wage //= 2
            if wage and r() < 0.93:
                p.incomes["wage"] = wage // 100 * 100
        if not poor and age >= 25 and r() < 0.15:
            p.incomes["property"] = 20_000 + 100 * below(3_800)  # randrange(20_000, 400_000, 100)
        return p

    # --- households ------------------------------------------------------------------------
    def _community(self) -> str:
        cum = self.cum_weights
        return self.communities[bisect_left(cum, self._random() * cum[-1], 0, len(cum) - 1)]

    def household(self) -> HouseholdRow:
        below, r = self._below, self._random
        community = self._community()
        rural = self.rural[community]
        local = r() < 0.85
        county = community[:6] if local else MIGRANT_CODES[below(len(MIGRANT_CODES))]
        poor = r() < 0.045
        # random.choices(sizes, weights): one draw against the cumulative weights.
        size = _SIZES[bisect(_SIZE_CUM, r() * float(_SIZE_CUM[-1]), 0, len(_SIZE_CUM) - 1)]
        if poor and r() < 0.4:
            size = min(size, 2)
        head_age = 25 + below(64) if size <= 2 else 28 + below(35)  # randint(25, 88) / randint(28, 62)
        head_sex = "M" if r() < 0.62 else "F"
        surname = SURNAMES[below(len(SURNAMES))]
        person = self._person
        members = [
            person(age=head_age, sex=head_sex, relation="head", surname=surname, county=county, rural=rural, poor=poor)
        ]
        if size >= 2:
            spouse_age = max(20, head_age - 5 + below(9))  # head_age + randint(-5, 3)
            members.append(
                person(
                    age=spouse_age,
                    sex="F" if head_sex == "M" else "M",
                    relation="spouse",
                    surname=None,
                    county=county,
                    rural=rural,
                    poor=poor,
                )
            )
        child_slots = size - len(members) - (2 if size >= 5 else 0)
        for _ in range(max(0, child_slots)):
            age = max(0, head_age - 22 - below(15))  # head_age - randint(22, 36)
            sex = "MF"[below(2)]
            members.append(
                person(age=age, sex=sex, relation="child", surname=surname, county=county, rural=rural, poor=poor)
            )
        while len(members) < size:
            age = min(100, head_age + 24 + below(9))  # head_age + randint(24, 32)
            sex = "MF"[below(2)]
            members.append(
                person(age=age, sex=sex, relation="parent", surname=surname, county=county, rural=rural, poor=poor)
            )
        if size == 1 and head_age >= 65:
            members[0].elderly_living_alone = True
        if poor:
            for m in members:
                if m.relation == "child" and head_age - 30 < 16 and r() < 0.3:
                    m.child_in_difficulty = True
        street_no = 1 + below(680)
        if rural:
            group = 1 + below(12)
            address = f"{group}组{1 + below(120)}号"
        else:
            building = 1 + below(30)
            unit = 1 + below(6)
            floor = 1 + below(28)
            room = f"{floor}0{1 + below(4)}"
            address = f"{STREET_NAMES[below(len(STREET_NAMES))]}{street_no}号{building}幢{unit}单元{room}室"
        assets = self._assets(members, poor, rural)
        expenses = []
        last_year = self.today.year - 1
        for i, m in enumerate(members):
            if m.serious_illness:
                expenses.append(("medical", last_year, 800_000 + 100 * below(82_000), i))
            if m.school_enrolment == "higher":
                expenses.append(("education", last_year, 600_000 + 100 * below(19_000), i))
        total = sum(sum(m.incomes.values()) for m in members)
        per_capita = total // len(members)
        assistance = ""
        if poor:
            if per_capita < DIBAO_STANDARD_FEN:
                no_support = size == 1 and all(m.labour_capacity == "none" for m in members) and total < 50_000
                assistance = "extreme_poverty" if no_support and r() < 0.7 else "dibao"
            elif per_capita <= min(2 * DIBAO_STANDARD_FEN, MINIMUM_WAGE_FEN):
                assistance = "marginal" if r() < 0.7 else ""
        sequence = self.sequence.get(community, 0) + 1
        self.sequence[community] = sequence
        return HouseholdRow(
            number=f"{community}{sequence:05d}",
            region_code=community,
            address=address,
            area_type="rural" if rural else "urban",
            hukou_type="registered" if local else "resident",
            assistance_class=assistance,
            members=members,
            assets=assets,
            expenses=expenses,
        )

    def _assets(self, members: list[PersonRow], poor: bool, rural: bool) -> list[AssetRow]:
        below, r = self._below, self._random
        assets: list[AssetRow] = []
        adult_born_before = self.today.toordinal() - 18 * 365  # older than 18 × 365 days
        owner = next((i for i, m in enumerate(members) if m.birth_date.toordinal() < adult_born_before), 0)
        # A few enrolled households keep a car or a company role: cases for the monitoring checks.
        if r() < (0.03 if poor else 0.38):
            value = 3_000_000 + 10_000 * below(2_700)  # randrange(3_000_000, 30_000_000, 10_000)
            assets.append(AssetRow("vehicle", value, "小型轿车", owner, is_exempt_vehicle=poor and r() < 0.5))
        if r() < (0.25 if poor else 0.82):
            area = 30 + below(41) if poor else 50 + below(111)  # randint(30, 70) / randint(50, 160)
            price = (2_500_000 if rural else 3_500_000) * area if not poor else 800_000 * area
            year = 1995 + below(self.today.year - 1995)  # randint(1995, today.year - 1)
            acquired = dt.date(year, 1 + below(12), 1)
            assets.append(AssetRow("home", price, "自有住房", owner, floor_area_m2=area, acquired_on=acquired))
        if not poor and r() < 0.06 or poor and r() < 0.01:
            first17 = f"91330{100 + below(100)}" + "".join(USCC_CHARS[below(31)] for _ in range(9))
            value = 10_000 * below(5_000)  # randrange(0, 50_000_000, 10_000)
            assets.append(
                AssetRow(
                    "company_role",
                    value,
                    "有限责任公司",
                    owner,
                    company_uscc=first17 + uscc_check_char(first17),
                    company_role=COMPANY_ROLES[below(3)],
                )
            )
        deposit = 100 * below(3_000 if poor else 600_000)  # randrange(0, 300_000 or 60_000_000, 100)
        if deposit:
            assets.append(AssetRow("deposit", deposit, "银行存款", owner))
        return assets

    def households(self, n: int) -> Iterator[HouseholdRow]:
        for _ in range(n):
            yield self.household()
