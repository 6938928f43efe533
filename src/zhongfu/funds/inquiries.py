"""Donors' inquiries (捐赠人询问): a donor asks how their gift was used, on the gift's trace page (reached by
the signed link on the receipt) or by phone, letter or in person, recorded by an officer. The question is due
`received_on` + N calendar days, N from the InquiryRule valid on the day it was received (20 days shipped:
"a donor's question about the use of funds is answered within 20 days", a local rule, so it is data with a
validity date). An answer closes it; the donor reads it on the same trace page. Open questions past their due
date are counted by the daily job and the unit's bookkeepers told (`inquiries_overdue_notify`).

An answer is public to whoever holds the link, so it may not carry a recipient's personal data: one naming a
recipient of the gift in full, or holding an ID number or a mobile number, is refused (docs/funds.md)."""

import datetime as dt
import re

from django.db import transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from zhongfu.accounts.models import User
from zhongfu.audit.services import audit_record
from zhongfu.common.errors import InvalidInput, NotFound
from zhongfu.common.personal_data import mask_id_number, mask_name, mask_phone
from zhongfu.registry.models import Membership

from . import selectors, services
from .models import Disbursement, Donation, Inquiry, InquiryChannel, InquiryRule

DEFAULT_DAYS = 20  # when no rule is valid yet on the day (the shipped rule starts 2016-09-01)
MAX_OPEN_ONLINE = 3  # open questions one gift may have from its trace page: enough for a donor, not a flood
QUESTION_MAX = 1000
ANSWER_MAX = 2000
DONOR = "donor (trace link)"  # the audit's actor name for a question asked on the trace page

ID_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
PHONE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def days_for(received_on: dt.date) -> int:
    rule = InquiryRule.objects.filter(valid_from__lte=received_on).order_by("-valid_from").first()
    return rule.days if rule else DEFAULT_DAYS


def due_date(received_on: dt.date) -> dt.date:
    """received_on + the rule's calendar days."""
    return received_on + dt.timedelta(days=days_for(received_on))


def _question(text) -> str:
    text = (text or "").strip()
    if len(text) < 5:
        raise InvalidInput(_("Write your question (at least five characters)."), field="question")
    if len(text) > QUESTION_MAX:
        raise InvalidInput(_("At most %(n)s characters."), field="question", n=QUESTION_MAX)
    return text


def _audit(actor, action: str, inquiry: Inquiry, after: dict) -> None:
    audit_record(actor=actor, action=action, object_type="donor_inquiry", object_id=inquiry.pk, after=after)


@transaction.atomic
def inquiry_ask(*, donation: Donation, question: str) -> Inquiry:
    """A donor's question from the gift's trace page (the caller has checked the signed link)."""
    question = _question(question)
    # The gift's row is locked so two questions sent at once count each other.
    donation = Donation.objects.select_for_update().get(pk=donation.pk)
    if Inquiry.objects.filter(donation=donation, answered_on__isnull=True).count() >= MAX_OPEN_ONLINE:
        raise InvalidInput(
            _("You have %(n)s questions waiting for an answer: please wait for them before asking more."),
            field="question",
            n=MAX_OPEN_ONLINE,
        )
    today = timezone.localdate()
    inquiry = Inquiry.objects.create(
        unit_id=donation.unit_id,
        donation=donation,
        channel=InquiryChannel.ONLINE,
        question=question,
        received_on=today,
        due_on=due_date(today),
    )
    _audit(
        DONOR, "create", inquiry, {"donation": donation.pk, "channel": inquiry.channel, "due_on": str(inquiry.due_on)}
    )
    return inquiry


@transaction.atomic
def inquiry_record(*, actor, donation: Donation, channel: str, question: str, received_on: dt.date) -> Inquiry:
    """An officer records a question received by phone, letter or in person, on the day it came."""
    services._require_books(actor, donation.unit)
    if channel not in (InquiryChannel.PHONE, InquiryChannel.LETTER, InquiryChannel.VISIT):
        raise InvalidInput(_("A question is recorded as received by phone, by letter or in person."), field="channel")
    question = _question(question)
    received_on = services._date(received_on, field="received_on")
    inquiry = Inquiry.objects.create(
        unit_id=donation.unit_id,
        donation=donation,
        channel=channel,
        question=question,
        received_on=received_on,
        due_on=due_date(received_on),
        recorded_by=actor,
    )
    _audit(actor, "create", inquiry, {"donation": donation.pk, "channel": channel, "due_on": str(inquiry.due_on)})
    return inquiry


def _recipient_names(donation: Donation) -> set[str]:
    """Full names of the members of the households the unit paid (the gift's own recipients among them)."""
    households = Disbursement.objects.filter(account__unit_id=donation.unit_id).values("household_id")
    names = Membership.objects.filter(household_id__in=households).values_list("person__name", flat=True)
    return {name for name in names if name and len(name) >= 2}


def personal_data_in(text: str, donation: Donation) -> str:
    """What personal data the text holds, masked, to say why it is refused; "" when none."""
    match = ID_RE.search(text)
    if match:
        return mask_id_number(match.group())
    match = PHONE_RE.search(text)
    if match:
        return mask_phone(match.group())
    for name in sorted(_recipient_names(donation), key=len, reverse=True):
        if name in text:
            return mask_name(name)
    return ""


def mask_text(text: str) -> str:
    """ID numbers and mobile numbers masked: how an answer is shown, whatever was stored before the check."""
    text = ID_RE.sub(lambda m: mask_id_number(m.group()), text or "")
    return PHONE_RE.sub(lambda m: mask_phone(m.group()), text)


@transaction.atomic
def inquiry_answer(*, actor, inquiry: Inquiry, answer: str) -> Inquiry:
    """Answer an open question; the answer closes it and is shown to the donor on the trace page."""
    services._require_books(actor, inquiry.unit)
    inquiry = Inquiry.objects.select_for_update().select_related("donation", "unit").get(pk=inquiry.pk)
    if not inquiry.is_open:
        raise InvalidInput(_("This question is already answered."), field="answer")
    answer = (answer or "").strip()
    if len(answer) < 5:
        raise InvalidInput(_("Write the answer (at least five characters)."), field="answer")
    if len(answer) > ANSWER_MAX:
        raise InvalidInput(_("At most %(n)s characters."), field="answer", n=ANSWER_MAX)
    found = personal_data_in(answer, inquiry.donation)
    if found:
        raise InvalidInput(
            _("The answer holds a recipient's personal data (%(found)s): the donor may see masked names only."),
            field="answer",
            found=found,
        )
    today = timezone.localdate()
    inquiry.answer, inquiry.answered_on, inquiry.answered_by = answer, today, actor
    inquiry.save(update_fields=["answer", "answered_on", "answered_by"])
    _audit(actor, "answer", inquiry, {"answered_on": str(today), "on_time": inquiry.answered_on_time})
    return inquiry


# --- reads -----------------------------------------------------------------------------------------------

DUE_FILTERS = ("open", "today", "overdue", "answered", "all")


def inquiries_of(unit, due: str = "open", today: dt.date | None = None):
    """A unit's questions: open (the default), due today, overdue (open past their due date), answered, all."""
    today = today or timezone.localdate()
    qs = Inquiry.objects.filter(unit=unit).select_related("donation", "recorded_by", "answered_by")
    if due == "today":
        return qs.filter(answered_on__isnull=True, due_on=today).order_by("pk")
    if due == "overdue":
        return qs.filter(answered_on__isnull=True, due_on__lt=today).order_by("due_on", "pk")
    if due == "answered":
        return qs.filter(answered_on__isnull=False).order_by("-answered_on", "-pk")
    if due == "all":
        return qs.order_by("-received_on", "-pk")
    return qs.filter(answered_on__isnull=True).order_by("due_on", "pk")


def inquiry_figures(unit, *, start: dt.date | None = None, end: dt.date | None = None, today=None) -> dict:
    """Questions received in [start, end] (all by default): received, answered on time, answered late, open,
    of which overdue today."""
    today = today or timezone.localdate()
    qs = Inquiry.objects.filter(unit=unit)
    if start is not None:
        qs = qs.filter(received_on__gte=start)
    if end is not None:
        qs = qs.filter(received_on__lte=end)
    figures = qs.aggregate(
        received=Count("pk"),
        on_time=Count("pk", filter=Q(answered_on__isnull=False, answered_on__lte=F("due_on"))),
        late=Count("pk", filter=Q(answered_on__gt=F("due_on"))),
        open=Count("pk", filter=Q(answered_on__isnull=True)),
        overdue=Count("pk", filter=Q(answered_on__isnull=True, due_on__lt=today)),
        due_today=Count("pk", filter=Q(answered_on__isnull=True, due_on=today)),
    )
    figures["days"] = days_for(today)
    return figures


def inquiry_for_books(*, user, inquiry_id: int) -> Inquiry:
    inquiry = (
        Inquiry.objects.select_related("unit", "donation__account", "donation__donor", "recorded_by", "answered_by")
        .filter(pk=inquiry_id, unit__in=selectors.units_kept_by(user))
        .first()
    )
    if inquiry is None:
        raise NotFound()
    return inquiry


def inquiries_for_donor(donation: Donation) -> list[dict]:
    """What the trace page shows the link's holder: their questions, due dates and answers (masked)."""
    return [
        {
            "question": i.question,
            "received_on": i.received_on,
            "due_on": i.due_on,
            "answered_on": i.answered_on,
            "answer": mask_text(i.answer),
        }
        for i in Inquiry.objects.filter(donation=donation).order_by("received_on", "pk")
    ]


# --- the daily job ---------------------------------------------------------------------------------------

OVERDUE_TITLE = gettext_noop("%(n)s donor questions are past their due date")
OVERDUE_BODY = gettext_noop("Donors' questions about the use of their gifts wait for an answer beyond the deadline.")


def inquiries_overdue_notify(today: dt.date | None = None) -> dict:
    """Tell each unit's bookkeepers how many of its donors' questions are open past their due date. Idempotent
    per day (the day is the notification's key). Returns {"units": n, "notified": n}."""
    from zhongfu.notifications.services import notify

    today = today or timezone.localdate()
    per_unit = dict(
        Inquiry.objects.filter(answered_on__isnull=True, due_on__lt=today)
        .values_list("unit")
        .annotate(n=Count("pk"))
        .values_list("unit", "n")
    )
    notified = 0
    with transaction.atomic():
        for unit_id, n in sorted(per_unit.items()):
            keepers = [
                u
                for u in User.objects.filter(unit_id=unit_id, is_active=True).select_related("unit")
                if services.can_keep_books(u, u.unit)
            ]
            notified += len(
                notify(
                    keepers,
                    "inquiries_overdue",
                    OVERDUE_TITLE,
                    OVERDUE_BODY,
                    link=reverse("funds:inquiries", args=[unit_id]) + "?due=overdue",
                    object_type="funds_unit",
                    object_id=unit_id,
                    params={"n": n},
                    key=today.isoformat(),
                )
            )
    return {"units": len(per_unit), "notified": notified}
