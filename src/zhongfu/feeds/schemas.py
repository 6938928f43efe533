"""The declared schema of every department feed, as data: the columns each department sends.

A column has the Chinese header the department writes, an English key (used in the stored values and
in the API), a type, whether it is required, and what it means. Types: id_number (GB 11643, matched to
the registry by its keyed hash and never stored in clear), date, money (yuan in the file, integer fen
stored), integer, enum (Chinese labels → English values) and text. Every feed has exactly one id_number
column and names the date column that dates its records. `schemas_check` runs at start (apps.ready)
so a mistake here stops the server rather than the first upload. docs/feeds.md: adding a feed.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from zhongfu.common.errors import NotFound
from zhongfu.common.money import fen_to_yuan_text

TYPES = ("id_number", "date", "money", "integer", "enum", "text")
YES_NO = {"是": "yes", "否": "no"}


@dataclass(frozen=True)
class FeedColumn:
    key: str
    header: str  # as the department writes it: the file format, so fixed Chinese text, not translated
    type: str
    required: bool
    meaning: object  # lazy translatable text
    choices: dict = field(default_factory=dict)  # enum: Chinese label → stored value
    minimum: int | None = None  # integer and money (fen): the smallest value accepted
    maximum: int | None = None
    mask_name: bool = False  # a person's name: stored masked (张*), as everywhere else


@dataclass(frozen=True)
class FeedSchema:
    key: str
    name: object  # lazy translatable text
    department: object
    date_key: str  # the column whose value dates a record (for "latest per person")
    columns: tuple[FeedColumn, ...]

    @property
    def by_key(self) -> dict[str, FeedColumn]:
        return {c.key: c for c in self.columns}

    @property
    def id_column(self) -> FeedColumn:
        return next(c for c in self.columns if c.type == "id_number")


def _id() -> FeedColumn:
    return FeedColumn("id_number", "身份证号", "id_number", True, _("The person's resident ID number (18 characters)."))


def _name() -> FeedColumn:
    return FeedColumn("name", "姓名", "text", False, _("The person's name, stored masked."), mask_name=True)


SCHEMAS: tuple[FeedSchema, ...] = (
    FeedSchema(
        "medical_insurance",
        _("Medical insurance"),
        _("medical insurance bureau (医保)"),
        "settled_on",
        (
            _id(),
            _name(),
            FeedColumn("settled_on", "结算日期", "date", True, _("Date the medical costs were settled.")),
            FeedColumn("total_cost", "医疗总费用(元)", "money", False, _("Total medical costs of the settlement.")),
            FeedColumn("out_of_pocket", "个人自付(元)", "money", True, _("Costs the person paid out of pocket.")),
            FeedColumn(
                "serious_illness",
                "重特大疾病",
                "enum",
                False,
                _("Whether the illness is a serious or catastrophic illness."),
                choices=YES_NO,
            ),
            FeedColumn("disease", "病种", "text", False, _("Name of the illness.")),
        ),
    ),
    FeedSchema(
        "human_resources",
        _("Human resources"),
        _("human resources and social security bureau (人社)"),
        "recorded_on",
        (
            _id(),
            _name(),
            FeedColumn("recorded_on", "登记日期", "date", True, _("Date of the record.")),
            FeedColumn(
                "employment",
                "就业状态",
                "enum",
                True,
                _("Employment status."),
                choices={"失业": "unemployed", "就业": "employed", "灵活就业": "flexible"},
            ),
            FeedColumn(
                "unemployment_benefit",
                "失业保险金(元/月)",
                "money",
                False,
                _("Unemployment benefit per month."),
            ),
            FeedColumn(
                "social_insurance",
                "社保缴费状态",
                "enum",
                False,
                _("Social insurance contributions."),
                choices={"正常缴费": "paying", "中断缴费": "suspended", "未参保": "none"},
            ),
            FeedColumn(
                "contribution_base",
                "缴费基数(元/月)",
                "money",
                False,
                _("Monthly contribution base, showing the declared wage."),
            ),
        ),
    ),
    FeedSchema(
        "disabled_federation",
        _("Disabled persons' federation"),
        _("disabled persons' federation (残联)"),
        "certified_on",
        (
            _id(),
            _name(),
            FeedColumn("certified_on", "发证日期", "date", True, _("Date the disability certificate was issued.")),
            FeedColumn(
                "disability_kind",
                "残疾类别",
                "enum",
                True,
                _("Kind of disability."),
                choices={
                    "视力": "visual",
                    "听力": "hearing",
                    "言语": "speech",
                    "肢体": "physical",
                    "智力": "intellectual",
                    "精神": "mental",
                    "多重": "multiple",
                },
            ),
            FeedColumn(
                "disability_grade",
                "残疾等级",
                "integer",
                True,
                _("Grade of disability, 1 (most severe) to 4."),
                minimum=1,
                maximum=4,
            ),
        ),
    ),
    FeedSchema(
        "education",
        _("Education"),
        _("education bureau (教育)"),
        "term_start",
        (
            _id(),
            _name(),
            FeedColumn("term_start", "学期开始日期", "date", True, _("First day of the school term.")),
            FeedColumn(
                "stage",
                "学段",
                "enum",
                True,
                _("School stage."),
                choices={
                    "学前": "preschool",
                    "小学": "primary",
                    "初中": "junior",
                    "高中": "senior",
                    "职业学校": "vocational",
                    "高等教育": "higher",
                },
            ),
            FeedColumn(
                "enrolment",
                "在学状态",
                "enum",
                True,
                _("Enrolment status."),
                choices={"在读": "enrolled", "休学": "suspended", "辍学": "dropped_out", "毕业": "graduated"},
            ),
            FeedColumn("school", "学校名称", "text", False, _("Name of the school.")),
            FeedColumn("costs", "学杂费(元)", "money", False, _("Tuition and fees for the term.")),
        ),
    ),
    FeedSchema(
        "emergency",
        _("Emergency management"),
        _("emergency management bureau (应急)"),
        "occurred_on",
        (
            _id(),
            _name(),
            FeedColumn("occurred_on", "受灾日期", "date", True, _("Date of the disaster.")),
            FeedColumn(
                "disaster_kind",
                "灾害类型",
                "enum",
                True,
                _("Kind of disaster."),
                choices={
                    "洪涝": "flood",
                    "干旱": "drought",
                    "地震": "earthquake",
                    "台风": "typhoon",
                    "火灾": "fire",
                    "其他": "other",
                },
            ),
            FeedColumn("loss", "直接经济损失(元)", "money", True, _("Direct economic loss of the household.")),
            FeedColumn(
                "house_collapsed",
                "房屋倒损",
                "enum",
                False,
                _("Whether the home collapsed or was damaged."),
                choices=YES_NO,
            ),
        ),
    ),
    FeedSchema(
        "public_security",
        _("Public security"),
        _("public security bureau (公安)"),
        "event_on",
        (
            _id(),
            _name(),
            FeedColumn("event_on", "事件日期", "date", True, _("Date of the death, deregistration or custody.")),
            FeedColumn(
                "event",
                "事件类型",
                "enum",
                True,
                _("What happened: death, deregistration of the household registration, or imprisonment."),
                choices={"死亡": "death", "户口注销": "deregistration", "服刑": "imprisonment"},
            ),
        ),
    ),
    FeedSchema(
        "market_regulation",
        _("Market regulation"),
        _("market regulation bureau (市场监管)"),
        "registered_on",
        (
            _id(),
            _name(),
            FeedColumn("registered_on", "登记日期", "date", True, _("Date the role was registered.")),
            FeedColumn(
                "company_uscc", "统一社会信用代码", "text", True, _("The company's unified social credit code.")
            ),
            FeedColumn("company_name", "企业名称", "text", False, _("Name of the company.")),
            FeedColumn(
                "role",
                "职务",
                "enum",
                True,
                _("The person's role in the company."),
                choices={"法定代表人": "legal_representative", "高级管理人员": "manager", "股东": "shareholder"},
            ),
            FeedColumn("registered_capital", "注册资本(元)", "money", False, _("Registered capital of the company.")),
        ),
    ),
    FeedSchema(
        "vehicles",
        _("Vehicles"),
        _("vehicle registration (车管所)"),
        "registered_on",
        (
            _id(),
            _name(),
            FeedColumn("registered_on", "登记日期", "date", True, _("Date the vehicle was registered to the person.")),
            FeedColumn("plate", "号牌号码", "text", True, _("Number plate.")),
            FeedColumn(
                "vehicle_kind",
                "车辆类型",
                "enum",
                True,
                _("Kind of vehicle."),
                choices={
                    "小型汽车": "car",
                    "货车": "truck",
                    "摩托车": "motorcycle",
                    "残疾人专用车": "disability",
                    "其他": "other",
                },
            ),
            FeedColumn("price", "购置价格(元)", "money", False, _("Purchase price.")),
        ),
    ),
    FeedSchema(
        "property",
        _("Property transactions"),
        _("real estate registration (不动产登记)"),
        "registered_on",
        (
            _id(),
            _name(),
            FeedColumn("registered_on", "登记日期", "date", True, _("Date the transaction was registered.")),
            FeedColumn(
                "transaction",
                "交易类型",
                "enum",
                True,
                _("Kind of transaction."),
                choices={"购买": "purchase", "出售": "sale", "继承": "inheritance", "赠与": "gift"},
            ),
            FeedColumn(
                "floor_area", "建筑面积(平方米)", "integer", False, _("Floor area in square metres."), minimum=0
            ),
            FeedColumn("price", "成交价格(元)", "money", False, _("Price of the transaction.")),
        ),
    ),
)
FEEDS: dict[str, FeedSchema] = {s.key: s for s in SCHEMAS}
FEED_CHOICES = [(s.key, s.name) for s in SCHEMAS]


def schemas_check(schemas=SCHEMAS) -> None:
    """Refuse a schema with a fault: unknown type, duplicate key or header, enum without choices, no
    or several ID columns, or a date key that is not a required date column."""
    seen = set()
    for schema in schemas:
        if schema.key in seen:
            raise ImproperlyConfigured(f"feed {schema.key}: declared twice")
        seen.add(schema.key)
        keys = [c.key for c in schema.columns]
        headers = [c.header for c in schema.columns]
        if len(set(keys)) != len(keys) or len(set(headers)) != len(headers):
            raise ImproperlyConfigured(f"feed {schema.key}: a column key or header is declared twice")
        for c in schema.columns:
            if c.type not in TYPES:
                raise ImproperlyConfigured(f"feed {schema.key}: column {c.key} has unknown type {c.type}")
            if (c.type == "enum") != bool(c.choices):
                raise ImproperlyConfigured(f"feed {schema.key}: column {c.key}: choices belong to enum columns")
        ids = [c for c in schema.columns if c.type == "id_number"]
        if len(ids) != 1 or not ids[0].required:
            raise ImproperlyConfigured(f"feed {schema.key}: exactly one required id_number column")
        date = schema.by_key.get(schema.date_key)
        if date is None or date.type != "date" or not date.required:
            raise ImproperlyConfigured(f"feed {schema.key}: date_key must name a required date column")


def display_value(column: FeedColumn, value) -> str:
    """A stored value as a person reads it: yuan for money, the department's label for an enum."""
    if value is None:
        return ""
    if column.type == "money":
        return fen_to_yuan_text(value)
    if column.type == "enum":
        return next((label for label, v in column.choices.items() if v == value), str(value))
    return str(value)


def feed_schema(key: str) -> FeedSchema:
    try:
        return FEEDS[key]
    except KeyError:
        raise NotFound(_("There is no feed %(feed)s."), field="feed", feed=key) from None
