"""Charity money for the demo city, so that the union's and the charity federation's officers find full books:
the trade union's Spring Breeze drive (春风行动) with its funds (the general fund, a restricted education fund,
a company's named fund), about 130 gifts of realistic sizes (offline, one batch from a spreadsheet, a few
online through the simulated provider's signed callback), allocations to three projects within their
restrictions, payments to demo households, one refund, one reversal, locked past months, a correction note, a
pledge partly received, a standing instruction, a bank statement reconciled but for one line, and two donors'
questions (one answered, one open); and the charity federation's medical-aid fund with its own gifts and
payments (some to households the union pays too: the monitoring run finds them as possible duplicate aid).

Every step goes through the real services with the demo logins `union` and `charity` as actors, on the day it
happened: the services' clock is moved back as in casework/demo.py (the demo only). Deterministic by seed;
nothing is written when the union's drive exists already."""

import csv
import datetime as dt
import io
import random
from contextlib import contextmanager
from unittest import mock

import xlsxwriter
from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone, translation

from zhongfu.accounts.models import Unit, User
from zhongfu.common.identifiers import uscc_check_char
from zhongfu.registry.models import AssistanceClass, Household

from . import batches, drives, inquiries, pledges, providers, reconciliation, services
from .models import AccountKind, Channel, Donation, DonorKind, Drive, LedgerLine, StatementLineStatus

UNION, CHARITY = "trade-union", "charity-federation"
DRIVE_CODE = "chunfeng"
DRIVE_NAME = "春风行动"
MEDICAL = "dabing"
DAYS = 118  # the demo's books start this many days ago

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌海波宁晨浩宇欣怡佳琪子涵"
COMPANIES = [
    # (name, alias or "", consent to be named, gift in yuan)
    ("杭州恒远实业有限公司", "恒远爱心", True, 600_000),
    ("浙江钱塘建设集团有限公司", "", True, 520_000),
    ("杭州西溪数字科技有限公司", "", False, 80_000),
    ("杭州运河物流有限公司", "", True, 30_000),
    ("浙江之江食品有限公司", "", False, 15_000),
    ("杭州湖滨商贸有限公司", "", True, 10_000),
]
PLEDGER = "杭州滨江电子科技有限公司"
NAMED_FUND_DONOR = COMPANIES[0][0]
INDIVIDUAL_YUAN = [50, 100, 100, 200, 200, 200, 300, 500, 500, 500, 800, 1000, 1000, 1200, 1500, 2000]


@contextmanager
def _clock(day: dt.date):
    """The services' today (and now, at ten in the morning Beijing time) on `day` (see casework/demo.py)."""
    now = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
    with (
        mock.patch.object(timezone, "localdate", lambda *a, **k: day),
        mock.patch.object(timezone, "now", lambda: now),
    ):
        yield


def _uscc(rng: random.Random) -> str:
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    first17 = "91330106" + "".join(rng.choice(chars) for _ in range(9))
    return first17 + uscc_check_char(first17)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


class _Books:
    """One unit's demo books: its officer, its accounts by code, a seeded generator and what was made."""

    def __init__(self, unit: Unit, actor: User, rng: random.Random, today: dt.date):
        self.unit, self.actor, self.rng, self.today = unit, actor, rng, today
        self.accounts = {}
        self.gifts: list[Donation] = []
        self.counts = {"gifts": 0, "receipts": 0, "online": 0, "allocations": 0, "payments": 0}

    def day(self, days_ago: int) -> dt.date:
        return self.today - dt.timedelta(days=days_ago)

    def account(self, code: str, **kw):
        with _clock(self.day(DAYS + 7)):
            self.accounts[code] = services.fund_account_open(actor=self.actor, unit=self.unit, code=code, **kw)
        return self.accounts[code]

    def gift(self, day: dt.date, yuan: int, *, account=None, donor=None, channel=None, declined=False, memo=""):
        """An offline gift on `day` with its receipt (unless declined); a transfer carries a bank reference."""
        channel = channel or (Channel.TRANSFER if yuan >= 1000 or self.rng.random() < 0.5 else Channel.CASH)
        reference = f"HZB{day:%Y%m%d}{self.rng.randrange(10**8):08d}" if channel == Channel.TRANSFER else ""
        with _clock(day):
            gift = services.donation_record_offline(
                actor=self.actor,
                unit=self.unit,
                amount_fen=yuan * 100,
                channel=channel,
                received_on=day,
                donor=donor,
                account=account,
                bank_reference=reference,
                receipt_declined=declined or donor is None,
                memo=memo,
            )
            if not gift.receipt_declined:
                services.receipt_issue(actor=self.actor, donation=gift, issued_on=day)
                self.counts["receipts"] += 1
        self.gifts.append(gift)
        self.counts["gifts"] += 1
        return gift

    def donor(self, day: dt.date, kind=DonorKind.PERSON, name="", **kw):
        with _clock(day):
            return services.donor_register(
                actor=self.actor, kind=kind, name=name or _name(self.rng), uscc=kw.pop("uscc", ""), **kw
            )

    def person_gifts(self, n: int, first: int, last: int, funds: list) -> None:
        """`n` individuals' gifts between `first` and `last` days ago: mostly 50 to 2,000 yuan, one in ten
        anonymous, one in twelve without a receipt, now and then a gift into the cash box with no donor."""
        rng = self.rng
        for day in sorted(self.day(rng.randint(last, first)) for _ in range(n)):
            roll = rng.random()
            if roll < 0.05:
                self.gift(day, rng.choice((35, 68, 120, 260)), channel=Channel.CASH, memo="募捐箱")
                continue
            donor = self.donor(day, anonymous=roll < 0.15, consent_to_name=0.15 <= roll < 0.45)
            yuan = rng.choice(INDIVIDUAL_YUAN) + (rng.randrange(0, 100, 10) if rng.random() < 0.2 else 0)
            self.gift(day, yuan, account=rng.choice(funds), donor=donor, declined=rng.random() < 0.08)

    def online(self, day: dt.date, yuan: int, *, account=None, name="", anonymous=False, status=providers.PAID):
        """An online gift: the donor's payment order, then the simulated provider's signed callback, checked
        and recorded as the callback endpoint does (api.payment_callback)."""
        with _clock(day):
            order = services.payment_order_create(
                unit=self.unit,
                amount_fen=yuan * 100,
                account=account,
                donor_name="" if anonymous else name or _name(self.rng),
                anonymous=anonymous,
                consent_to_name=not anonymous and self.rng.random() < 0.5,
            )
            gateway = providers.get("sim")
            fields = gateway.callback(order, status=status)
            if not gateway.verify(fields, fields["signature"]):
                raise RuntimeError("the simulated provider's callback does not verify")
            order, _replay = services.donation_record_online(
                provider="sim",
                txn_id=fields["txn_id"],
                order_id=fields["order_id"],
                amount_fen=fields["amount_fen"],
                status=fields["status"],
            )
        if order.donation_id:
            self.counts["online"] += 1
            self.counts["gifts"] += 1
            self.counts["receipts"] += 1
        return order

    def allocate(self, day: dt.date, source, budget, share: float, memo: str):
        balance = _balance(source)
        amount = int(balance * share) // 10000 * 10000  # whole hundreds of yuan
        if amount <= 0:
            return None
        with _clock(day):
            allocation = services.allocation_record(
                actor=self.actor, from_account=source, to_account=budget, amount_fen=amount, date=day, memo=memo
            )
        self.counts["allocations"] += 1
        return allocation

    def pay(self, day: dt.date, budget, household: Household, yuan: int, memo: str, group: str = ""):
        yuan = min(yuan, _balance(budget) // 100)
        if yuan <= 0:
            return None
        with _clock(day):
            payment = services.disbursement_record(
                actor=self.actor,
                account=budget,
                household=household,
                amount_fen=yuan * 100,
                date=day,
                source=f"demo:{self.unit.code}",
                group=group,
                memo=memo,
            )
        self.counts["payments"] += 1
        return payment


def _balance(account) -> int:
    """What a fund or budget holds (credits less debits: its lines are negative when money comes in)."""
    total = LedgerLine.objects.filter(account=account).aggregate(s=Sum("amount_fen"))["s"] or 0
    return -total


def _households(rng: random.Random, n: int) -> list[Household]:
    """Households to pay: enrolled ones first (低保, 特困, 低边), then any, in a seeded order."""
    enrolled = [AssistanceClass.DIBAO, AssistanceClass.EXTREME_POVERTY, AssistanceClass.MARGINAL]
    first = list(Household.objects.filter(is_active=True, assistance_class__in=enrolled).order_by("pk")[:400])
    rng.shuffle(first)
    if len(first) < n:
        rest = list(
            Household.objects.filter(is_active=True).exclude(assistance_class__in=enrolled).order_by("pk")[:400]
        )
        rng.shuffle(rest)
        first += rest
    return first[:n]


def _gift_batch_xlsx(books: _Books, day: dt.date, fund_code: str) -> bytes:
    """A spreadsheet as a street trade union would send it: a dozen gifts collected at its workplaces."""
    rng = books.rng
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    with translation.override(settings.LANGUAGE_CODE):
        sheet.write_row(0, 0, [str(c.header) for c in batches.COLUMNS])
    keys = [c.key for c in batches.COLUMNS]
    for i in range(12):
        yuan = rng.choice(INDIVIDUAL_YUAN)
        row = {
            "date": (day - dt.timedelta(days=rng.randint(0, 4))).isoformat(),
            "donor_kind": "个人",
            "donor_name": _name(rng),
            "anonymous": "否",
            "consent": "是" if i % 3 == 0 else "否",
            "amount": f"{yuan}.00",
            "channel": "转账" if i % 2 else "现金",
            "bank_reference": f"HZB{day:%Y%m%d}B{i:03d}{rng.randrange(10**5):05d}" if i % 2 else "",
            "account": fund_code if i % 4 == 0 else "",
            "receipt": "否" if i == 5 else "是",
        }
        sheet.write_row(i + 1, 0, [row.get(k, "") for k in keys])
    book.close()
    return out.getvalue()


def _statement(books: _Books, start: dt.date, end: dt.date) -> tuple[bytes, int, int]:
    """The bank's statement of the union's bank account for [start, end]: every movement that reached the
    bank, plus the bank's own fee, which the books do not know yet. Returns the CSV, opening and closing."""
    bank = services.standard_account(books.unit, services.BANK)
    opening = LedgerLine.objects.filter(account=bank, entry__date__lt=start).aggregate(s=Sum("amount_fen"))["s"] or 0
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["日期", "金额", "对方户名", "流水号", "摘要"])
    total = 0
    for move in reconciliation.movements(bank, start, end).select_related("entry").order_by("entry__date", "pk"):
        counterparty = "代发帮扶金" if move.amount_fen < 0 else "捐赠入账"
        writer.writerow(
            [
                f"{move.date:%Y-%m-%d}",
                f"{move.amount_fen / 100:.2f}",
                counterparty,
                move.ref or "",
                move.entry.memo[:200],
            ]
        )
        total += move.amount_fen
    fee = -1500
    writer.writerow([f"{end:%Y-%m-%d}", f"{fee / 100:.2f}", "杭州银行", f"FEE{end:%Y%m%d}", "账户管理费"])
    return out.getvalue().encode("utf-8"), opening, opening + total + fee


def _union_books(books: _Books, households: list[Household]) -> dict:
    rng, day, actor = books.rng, books.day, books.actor
    general = services.standard_account(books.unit, services.GENERAL)
    relief = books.account("cf-relief", kind=AccountKind.RESTRICTED, name="春风行动帮扶基金", project=DRIVE_CODE)
    edu = books.account("cf-edu", kind=AccountKind.RESTRICTED, name="春风行动助学金", project=DRIVE_CODE, group="助学")
    company = books.donor(
        day(DAYS + 7),
        DonorKind.ORGANISATION,
        NAMED_FUND_DONOR,
        uscc=_uscc(rng),
        consent_to_name=True,
        alias=COMPANIES[0][1],
    )
    named = books.account(
        "cf-hengyuan",
        kind=AccountKind.RESTRICTED,
        name="恒远爱心助困基金",
        project=DRIVE_CODE,
        region_prefix="330106",
        named_for=company,
    )
    visits = books.account("cf-visits", kind=AccountKind.BUDGET, name="困难职工春节慰问", project=DRIVE_CODE)
    school = books.account(
        "cf-school", kind=AccountKind.BUDGET, name="困难职工子女助学", project=DRIVE_CODE, group="助学"
    )
    xihu = books.account(
        "cf-xihu", kind=AccountKind.BUDGET, name="西湖区困难家庭帮扶", project=DRIVE_CODE, region_prefix="330106"
    )
    with _clock(day(DAYS + 7)):
        drive = drives.drive_create(
            actor=actor,
            unit=books.unit,
            code=DRIVE_CODE,
            name=DRIVE_NAME,
            starts_on=day(DAYS - 5),
            ends_on=day(-30),
            plan_registered_on=day(DAYS + 7),
        )

    # Months wholly past by more than five weeks are closed and locked, as each month's books are closed.
    locks = []
    month = day(DAYS).replace(day=1)
    while True:
        following = (month + dt.timedelta(days=32)).replace(day=1)
        if following + dt.timedelta(days=8) > day(35):
            break
        locks.append((month, following + dt.timedelta(days=8)))
        month = following

    def lock_due(until: dt.date) -> None:
        while locks and locks[0][1] <= until:
            month, on = locks.pop(0)
            with _clock(on):
                services.period_lock(actor=actor, unit=books.unit, month=month)
            books.counts["locked_months"] = books.counts.get("locked_months", 0) + 1

    pledger = books.donor(day(100), DonorKind.ORGANISATION, PLEDGER, uscc=_uscc(rng), consent_to_name=True)
    with _clock(day(100)):
        pledge = pledges.pledge_create(
            actor=actor,
            unit=books.unit,
            donor=pledger,
            amount_fen=30_000_000,
            pledged_on=day(100),
            account=edu,
            drive=drive,
            instalments=[(day(90), 10_000_000), (day(45), 10_000_000), (day(-15), 10_000_000)],
            memo="三年助学捐赠协议（第一年）",
        )

    # Individuals' gifts over the drive, then the rest of the year's work in the order it happened.
    events = [(ago, "people") for ago in range(DAYS - 10, 4, -10)]
    # The companies' gifts; the pledge's first instalment arrives two days early.
    events += [(ago, f"company{i}") for i, ago in enumerate((DAYS - 8, DAYS - 12, 95, 80, 60, 40))]
    events += [(88, "instalment")]
    events += [(82, "allocate"), (52, "allocate"), (22, "allocate"), (70, "batch"), (60, "recurring")]
    events += [(ago, "online") for ago in (100, 75, 47, 33, 18, 6)]
    events += [(40, "ask"), (35, "answer"), (30, "note"), (16, "ask_open"), (14, "refund"), (12, "duplicate")]
    events += [(10, "reverse")]
    payees = iter(households)
    xihu_payees = [h for h in households if h.region_id.startswith("330106")]
    duplicate = asked = None
    for ago, what in sorted(events, key=lambda e: (-e[0], e[1])):
        lock_due(day(ago))
        on = day(ago)
        if what.startswith("company"):
            name, alias, consent, yuan = COMPANIES[int(what[7:])]
            donor = (
                company
                if name == NAMED_FUND_DONOR
                else books.donor(
                    on, DonorKind.ORGANISATION, name, uscc=_uscc(rng), consent_to_name=consent, alias=alias
                )
            )
            books.gift(on, yuan, account=named if donor is company else relief, donor=donor, channel=Channel.TRANSFER)
        elif what == "instalment":
            gift = books.gift(on, 100_000, account=edu, donor=pledger, channel=Channel.TRANSFER, memo="认捐第一期")
            with _clock(on):
                pledges.pledge_link_gift(actor=actor, pledge=pledge, donation=gift)
        elif what == "people":
            books.person_gifts(10, ago, max(ago - 9, 5), [relief, relief, edu, general])
        elif what == "allocate":
            books.allocate(on, relief, visits, 0.6, "春风行动慰问金拨付")
            books.allocate(on, edu, school, 0.6, "助学金拨付")
            books.allocate(on, named, xihu, 0.3, "恒远爱心助困基金拨付")
            if ago == 52:
                books.allocate(on, general, visits, 0.3, "非定向捐赠统筹用于慰问")
            for k in range(4):
                when = day(ago - 2 - k)
                if (household := next(payees, None)) is not None:
                    books.pay(when, visits, household, rng.choice((1000, 1500, 2000, 3000)), "春风行动慰问金")
                if k < 2 and (household := next(payees, None)) is not None:
                    books.pay(when, school, household, rng.choice((2000, 3000, 5000)), "助学金", group="助学")
                if k < 2 and xihu_payees:
                    household = xihu_payees.pop(0)
                    books.pay(when, xihu, household, rng.choice((2000, 5000, 8000)), "恒远爱心助困金")
        elif what == "batch":
            content = _gift_batch_xlsx(books, on, "cf-edu")
            with _clock(on):
                batch = batches.gift_batch_load_file(
                    actor=actor, unit=books.unit, name="西湖区总工会_捐款汇总.xlsx", content=content
                )
            books.counts["gifts"] += batch.row_count
            books.counts["batch"] = batch.pk
        elif what == "recurring":
            with _clock(on):
                pledges.recurring_create(
                    actor=actor,
                    unit=books.unit,
                    amount_fen=20_000,
                    day_of_month=15,
                    starts_on=on,
                    account=edu,
                    donor_name=_name(rng),
                    consent_to_name=True,
                )
        elif what == "online":
            books.online(
                on, rng.choice((100, 200, 500, 1000)), account=rng.choice((None, relief, edu)), anonymous=ago == 33
            )
        elif what in ("ask", "ask_open"):
            gift = next(g for g in reversed(books.gifts) if g.donor_id and g.account_id == relief.pk)
            question = (
                "请问我捐给春风行动的钱用到哪里了？能否告知资助了哪些家庭？"
                if what == "ask"
                else ("我单位去年认捐的款项是否已全部用于助学？请书面答复。")
            )
            with _clock(on):
                inquiry = inquiries.inquiry_record(
                    actor=actor,
                    donation=gift,
                    channel="phone" if what == "ask" else "letter",
                    question=question,
                    received_on=on,
                )
            asked = inquiry if what == "ask" else asked
        elif what == "answer" and asked is not None:
            with _clock(on):
                inquiries.inquiry_answer(
                    actor=actor,
                    inquiry=asked,
                    answer="您的捐款已拨入春风行动慰问金，用于困难职工家庭春节慰问，受助家庭名单已在公示页面公布（姓名脱敏）。",
                )
        elif what == "note":
            with _clock(on):
                drives.disclosure_note_publish(
                    actor=actor,
                    drive=drive,
                    text="本会此前公示的助学金支出中，一笔3000元的款项误记为5000元，现予更正；账目以本页数字为准。",
                    reference="春风行动公示更正第1号",
                )
        elif what == "refund":
            refundable = [
                g for g in books.gifts if g.account_id == general.pk and g.donor_id and g.received_on >= day(30)
            ]
            if refundable:
                gift = refundable[-1]
                with _clock(on):
                    services.refund_record(
                        actor=actor,
                        donation=gift,
                        amount_fen=gift.amount_fen,
                        date=on,
                        reason="捐赠人误将单位党费转入，申请退回",
                    )
                books.counts["refunds"] = 1
        elif what == "duplicate":
            duplicate = books.gift(
                on, 500, channel=Channel.CASH, donor=books.donor(on), declined=True, memo="现金捐款（重复录入）"
            )
        elif what == "reverse" and duplicate is not None:
            with _clock(on):
                services.entry_reverse(
                    actor=actor, entry=duplicate.entry, reason="同一笔现金捐款录入两次，冲销重复一笔", date=on
                )
            books.counts["reversals"] = 1
    lock_due(books.today)

    # The bank's statement of the last whole month, imported and matched; what the rule leaves an officer
    # matches by hand, all but the bank's fee, which waits for the officer to record it.
    end = books.today.replace(day=1) - dt.timedelta(days=1)
    if (books.today - end).days < 5:
        end = end.replace(day=1) - dt.timedelta(days=1)
    start = end.replace(day=1)
    content, opening, closing = _statement(books, start, end)
    imported_on = min(end + dt.timedelta(days=5), books.today)
    with _clock(imported_on):
        statement = reconciliation.statement_import(
            actor=actor,
            account=services.standard_account(books.unit, services.BANK),
            period_start=start,
            period_end=end,
            opening_balance_fen=opening,
            closing_balance_fen=closing,
            name=f"杭州银行对账单_{start:%Y%m}.csv",
            content=content,
        )
        for line in statement.lines.filter(status=StatementLineStatus.UNMATCHED).order_by("row"):
            if line.reference.startswith("FEE"):
                continue
            found = reconciliation.candidates_for(line)
            if found:
                reconciliation.line_match(actor=actor, line=line, ledger_line_id=found[0].pk)
    books.counts["statement"] = statement.pk
    return {"drive": drive}


def _charity_books(books: _Books, households: list[Household]) -> None:
    rng, day = books.rng, books.day
    medical = books.account("dabing-fund", kind=AccountKind.RESTRICTED, name="大病救助专项基金", project=MEDICAL)
    budget = books.account("dabing-2026", kind=AccountKind.BUDGET, name="2026年大病医疗救助", project=MEDICAL)
    general = services.standard_account(books.unit, services.GENERAL)
    for name, yuan, ago in (("杭州仁和医药连锁有限公司", 200_000, 100), ("浙江安康保险代理有限公司", 50_000, 70)):
        donor = books.donor(day(ago), DonorKind.ORGANISATION, name, uscc=_uscc(rng), consent_to_name=True)
        books.gift(day(ago), yuan, account=medical, donor=donor, channel=Channel.TRANSFER)
    books.person_gifts(28, DAYS - 5, 5, [medical, general])
    books.online(day(20), 300, account=medical)
    books.allocate(day(60), medical, budget, 0.7, "大病救助项目拨付")
    for k, household in enumerate(households):
        books.pay(day(55 - 4 * k), budget, household, rng.choice((3000, 5000, 10000, 20000)), "大病医疗救助金")


def demo_funds_generate(seed: int = 2026, *, today: dt.date | None = None) -> dict:
    """See the module docstring. Returns counts and a one-line `message` for the demo command."""
    today = today or timezone.localdate()
    units = {u.code: u for u in Unit.objects.filter(code__in=[UNION, CHARITY])}
    users = {u.username: u for u in User.objects.filter(username__in=["union", "charity"], is_active=True)}
    if len(units) < 2 or len(users) < 2:
        return {"message": "demo funds: no demo union and charity logins; run after demo_users_ensure"}
    if Drive.objects.filter(unit=units[UNION], code=DRIVE_CODE).exists():
        return {"message": "demo funds: the union's Spring Breeze drive exists already; nothing changed"}
    rng = random.Random(seed)
    households = _households(rng, 30)
    union = _Books(units[UNION], users["union"], random.Random(seed + 1), today)
    charity = _Books(units[CHARITY], users["charity"], random.Random(seed + 2), today)
    with transaction.atomic():
        _union_books(union, households[:24])
        # Some of the charity's payees are paid by the union too (the monitoring run's possible duplicate aid).
        _charity_books(charity, households[12:16] + households[24:30])
    result = {"union": union.counts, "charity": charity.counts}
    result["message"] = (
        f"demo funds: union {union.counts['gifts']} gifts ({union.counts['online']} online), "
        f"{union.counts['payments']} payments, {union.counts.get('locked_months', 0)} months locked; "
        f"charity {charity.counts['gifts']} gifts, {charity.counts['payments']} payments"
    )
    return result
