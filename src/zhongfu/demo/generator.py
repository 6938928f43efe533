"""A synthetic city, deterministic by seed. Pure: produces rows, writes nothing.

Figures follow DOMAIN_RULES: Hangzhou per-capita disposable income (urban 74,700, rural 42,692 yuan
a year), a few percent low-income households, about 6% of people with a disability, vehicles,
homes and company roles. ID numbers carry the person's real birth date and a county code of the
district they were born in (or of another province, for residents without local hukou).
"""

import datetime as dt
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from zhongfu.common.identifiers import make_id_number, uscc_check_char

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
MIGRANT_CODES = ("340102", "340321", "341221", "360121", "362330", "410522", "411522", "421122", "512501", "522121")
STREET_NAMES = (
    "文一路 文二路 文三路 教工路 学院路 古翠路 莫干山路 湖墅南路 凤起路 庆春路 解放路 延安路 建国路 秋涛路 "
    "江南大道 滨盛路 市心路 金城路 文化路 临平大道 迎宾路 金家渡路 富春路 桐君街 新安大街 严州大道".split()
)
SIZE_WEIGHTS = ((1, 20), (2, 30), (3, 27), (4, 14), (5, 7), (6, 2))
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
    """Generates households for the given communities. `communities` maps code → is_rural."""

    def __init__(self, communities: dict[str, bool], *, seed: int = 2026, today: dt.date | None = None):
        self.rng = random.Random(seed)
        self.today = today or dt.date(2026, 1, 1)
        self.used_ids: set[str] = set()
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
        surname = surname or self.rng.choice(SURNAMES)
        n = 1 if self.rng.random() < 0.25 else 2
        return surname + "".join(self.rng.choice(GIVEN) for _ in range(n))

    def _birth(self, age: int) -> dt.date:
        year = self.today.year - age - 1
        return dt.date(year, 1, 1) + dt.timedelta(days=self.rng.randrange(365))

    def _id(self, county: str, birth: dt.date, sex: str) -> str:
        seq = self.rng.randrange(1000)
        for _ in range(1000):
            number = make_id_number(county, birth, seq, sex)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number
            seq = (seq + 2) % 1000
        birth += dt.timedelta(days=1)
        return self._id(county, birth, sex)

    def _phone(self) -> str:
        return f"1{self.rng.choice('35789')}{self.rng.randrange(10**9):09d}"

    def _person(
        self, *, age: int, sex: str, relation: str, surname: str | None, county: str, rural: bool, poor: bool
    ) -> PersonRow:
        birth = self._birth(age)
        p = PersonRow(
            name=self._name(surname),
            id_number=self._id(county, birth, sex),
            birth_date=birth,
            sex=sex,
            relation=relation,
        )
        r = self.rng.random
        if relation == "head" or r() < 0.5 and age >= 16:
            p.phone = self._phone()
        if r() < (0.12 if poor else 0.055):
            p.disability_category = self.rng.choice(
                ["physical", "physical", "visual", "hearing", "intellectual", "mental", "speech", "multiple"]
            )
            p.disability_grade = self.rng.choice([1, 2, 3, 3, 4, 4])
        if r() < (0.08 if poor else 0.018):
            p.serious_illness = True
        if age >= 70 or (p.disability_grade in (1, 2)) or p.serious_illness and r() < 0.5:
            p.labour_capacity = "none" if age >= 75 or p.disability_grade == 1 else "partial"
        elif age < 16:
            p.labour_capacity = "none"
        elif age >= 60:
            p.labour_capacity = "partial"
        if 3 <= age <= 5:
            p.school_enrolment = "preschool"
        elif 6 <= age <= 11:
            p.school_enrolment = "primary"
        elif 12 <= age <= 14:
            p.school_enrolment = "junior"
        elif 15 <= age <= 17:
            p.school_enrolment = "vocational" if r() < 0.15 else "senior"
        elif 18 <= age <= 22 and r() < 0.55:
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
            p.incomes["property"] = self.rng.randrange(20_000, 400_000, 100)
        return p

    # --- households ------------------------------------------------------------------------
    def _community(self) -> str:
        x = self.rng.random() * self.cum_weights[-1]
        lo, hi = 0, len(self.cum_weights) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.cum_weights[mid] < x:
                lo = mid + 1
            else:
                hi = mid
        return self.communities[lo]

    def household(self) -> HouseholdRow:
        rng, r = self.rng, self.rng.random
        community = self._community()
        rural = self.rural[community]
        local = r() < 0.85
        county = community[:6] if local else rng.choice(MIGRANT_CODES)
        poor = r() < 0.045
        size = rng.choices([s for s, _ in SIZE_WEIGHTS], weights=[w for _, w in SIZE_WEIGHTS])[0]
        if poor and r() < 0.4:
            size = min(size, 2)
        head_age = rng.randint(25, 88) if size <= 2 else rng.randint(28, 62)
        head_sex = "M" if r() < 0.62 else "F"
        surname = rng.choice(SURNAMES)
        members = [
            self._person(
                age=head_age, sex=head_sex, relation="head", surname=surname, county=county, rural=rural, poor=poor
            )
        ]
        if size >= 2:
            spouse_age = max(20, head_age + rng.randint(-5, 3))
            members.append(
                self._person(
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
            age = max(0, head_age - rng.randint(22, 36))
            members.append(
                self._person(
                    age=age,
                    sex=rng.choice("MF"),
                    relation="child",
                    surname=surname,
                    county=county,
                    rural=rural,
                    poor=poor,
                )
            )
        while len(members) < size:
            age = min(100, head_age + rng.randint(24, 32))
            members.append(
                self._person(
                    age=age,
                    sex=rng.choice("MF"),
                    relation="parent",
                    surname=surname,
                    county=county,
                    rural=rural,
                    poor=poor,
                )
            )
        if size == 1 and head_age >= 65:
            members[0].elderly_living_alone = True
        if poor:
            for m in members:
                if m.relation == "child" and head_age - 30 < 16 and r() < 0.3:
                    m.child_in_difficulty = True
        street_no = rng.randint(1, 680)
        if rural:
            address = f"{rng.randint(1, 12)}组{rng.randint(1, 120)}号"
        else:
            building, unit = rng.randint(1, 30), rng.randint(1, 6)
            room = f"{rng.randint(1, 28)}0{rng.randint(1, 4)}"
            address = f"{rng.choice(STREET_NAMES)}{street_no}号{building}幢{unit}单元{room}室"
        assets = self._assets(members, poor, rural)
        expenses = []
        for i, m in enumerate(members):
            if m.serious_illness:
                expenses.append(("medical", self.today.year - 1, rng.randrange(800_000, 9_000_000, 100), i))
            if m.school_enrolment == "higher":
                expenses.append(("education", self.today.year - 1, rng.randrange(600_000, 2_500_000, 100), i))
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
        rng, r = self.rng, self.rng.random
        assets: list[AssetRow] = []
        adults = [i for i, m in enumerate(members) if (self.today - m.birth_date).days > 18 * 365]
        owner = adults[0] if adults else 0
        # A few enrolled households keep a car or a company role: cases for the monitoring checks.
        if r() < (0.03 if poor else 0.38):
            assets.append(
                AssetRow(
                    "vehicle",
                    rng.randrange(3_000_000, 30_000_000, 10_000),
                    "小型轿车",
                    owner,
                    is_exempt_vehicle=poor and r() < 0.5,
                )
            )
        if r() < (0.25 if poor else 0.82):
            area = rng.randint(30, 70) if poor else rng.randint(50, 160)
            price = (2_500_000 if rural else 3_500_000) * area if not poor else 800_000 * area
            acquired = dt.date(rng.randint(1995, self.today.year - 1), rng.randint(1, 12), 1)
            assets.append(AssetRow("home", price, "自有住房", owner, floor_area_m2=area, acquired_on=acquired))
        if not poor and r() < 0.06 or poor and r() < 0.01:
            first17 = f"91330{rng.randint(100, 199)}" + "".join(
                rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9)
            )
            assets.append(
                AssetRow(
                    "company_role",
                    rng.randrange(0, 50_000_000, 10_000),
                    "有限责任公司",
                    owner,
                    company_uscc=first17 + uscc_check_char(first17),
                    company_role=rng.choice(["legal_representative", "manager", "shareholder"]),
                )
            )
        deposit = rng.randrange(0, 300_000 if poor else 60_000_000, 100)
        if deposit:
            assets.append(AssetRow("deposit", deposit, "银行存款", owner))
        return assets

    def households(self, n: int) -> Iterator[HouseholdRow]:
        for _ in range(n):
            yield self.household()
